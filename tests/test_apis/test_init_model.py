"""init_model: a checkpointed model builds without fetching the sub-network weights its config names, a
self-describing checkpoint needs no config, and a download that fails is one line naming the config key."""
import pytest
import torch
from mmengine import Config

from iart_mm.apis import init_model
from iart_mm.checkpoint import CheckpointMismatchError, WeightsDownloadError
from iart_mm.checkpoint.describe import vsr_model_config

UNREACHABLE = 'http://127.0.0.1:9/spynet.pth'  # discard port: refused at once, no network needed


def tiny_config(spynet_pretrained):
    return Config(dict(model=dict(type='BasicVSR', generator=dict(
        type='BasicVSRNet', mid_channels=4, num_blocks=1, spynet_pretrained=spynet_pretrained))))


def test_checkpoint_skips_the_configs_spynet_url(tmp_path):
    weights = init_model(tiny_config(None)).state_dict()
    weights = {k: torch.randn_like(v) if v.is_floating_point() else v for k, v in weights.items()}
    ckpt = tmp_path / 'model.pth'
    torch.save({'state_dict': {f'generator.{k}': v for k, v in weights.items()}}, ckpt)
    model = init_model(tiny_config(UNREACHABLE), ckpt)
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, weights[k], rtol=0, atol=0)


def test_without_checkpoint_the_url_is_still_fetched(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))  # an empty hub cache
    with pytest.raises(WeightsDownloadError) as err:
        init_model(tiny_config(UNREACHABLE))
    msg = str(err.value)
    assert '\n' not in msg and msg.startswith('cannot download spynet.pth (http://127.0.0.1:9/spynet.pth')
    assert '--cfg-options model.generator.spynet_pretrained=/path/to/spynet.pth' in msg


def test_a_self_describing_checkpoint_needs_no_config(tmp_path):
    gen = dict(type='BasicVSRNet', mid_channels=4, num_blocks=1, spynet_pretrained=UNREACHABLE)
    weights = init_model(tiny_config(None)).state_dict()
    ckpt = tmp_path / 'described.pth'
    torch.save({'meta': {'model': vsr_model_config(gen)},
                'state_dict': {f'generator.{k}': v + 1 if v.is_floating_point() else v for k, v in weights.items()}},
               ckpt)
    model = init_model(None, ckpt)  # the described SPyNet URL is not fetched either
    assert torch.equal(model.state_dict()['conv_last.bias'], weights['conv_last.bias'] + 1)
    torch.save({'state_dict': {f'generator.{k}': v for k, v in weights.items()}}, tmp_path / 'bare.pth')
    with pytest.raises(CheckpointMismatchError, match='does not say which model it holds'):
        init_model(None, tmp_path / 'bare.pth')

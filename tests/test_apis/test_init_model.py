"""init_model: a checkpointed model builds without fetching the sub-network weights its config names."""
import pytest
import torch
from mmengine import Config

from iart_mm.apis import init_model

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


def test_without_checkpoint_the_url_is_still_fetched():
    with pytest.raises(Exception, match='refused|URLError|urlopen'):
        init_model(tiny_config(UNREACHABLE))

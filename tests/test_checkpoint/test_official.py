"""Released-checkpoint loading: layout recognition, shape inference, strict mapping, EMA choice and the CLI."""
import importlib.util
import os
import re

import pytest
import torch
from mmagic.models.data_preprocessors import DataPreprocessor
from mmagic.models.editors.basicvsr.basicvsr_net import SPyNet
from mmagic.registry import MODELS
from mmengine.runner import load_checkpoint

from iart_mm.apis.official import init_from_official, official_to_mmengine
from iart_mm.checkpoint.key_mapping import CheckpointMismatchError
from iart_mm.checkpoint.official import (UNUSED_OFFICIAL_KEYS, detect_layout, infer_iart_config,
                                         read_official_state)
from tests.paths import REFERENCE_DIR, REPO_DIR, require_shared

TINY = dict(mid_channels=8, embed_dim=8, depths=(2, 1), num_heads=(2, 4), window_size=(3, 8, 8))


def to_basicsr_spynet_keys(state):
    return {re.sub(r'basic_module\.(\d)\.conv\.', lambda m: f'basic_module.{2 * int(m.group(1))}.', k): v
            for k, v in state.items()}


def official_layout(net, unused=True):
    """A release-layout state dict (BasicSR SPyNet keys, ``implicit_warp.*``, unused branch convs) of ``net``."""
    out = {}
    for k, v in to_basicsr_spynet_keys(net.state_dict()).items():
        out[re.sub(r'^aligner\.', 'implicit_warp.', k)] = v.clone()
    e = net.embed_dim
    shapes = dict(conv_first=(e, 3, 3, 3), conv_first_feat=(e, 64, 3, 3), conv_before_upsample=(64, e, 3, 3))
    for key in UNUSED_OFFICIAL_KEYS if unused else ():
        module = key.split('.')[2]
        out[key] = torch.randn(shapes[module] if key.endswith('weight') else shapes[module][:1])
    return out


@pytest.fixture
def tiny_official(tmp_path):
    net = MODELS.build(dict(type='IAPSRTRecurrentNet', **TINY))
    params = official_layout(net)
    ema = {k: v + 1 if v.is_floating_point() and 'spynet.mean' not in k and 'spynet.std' not in k else v
           for k, v in params.items()}
    path = tmp_path / 'tiny_official.pth'
    torch.save(dict(params=params, params_ema=ema), path)
    return path, params, ema


def test_fixture_layout_and_inferred_config():
    state = read_official_state(require_shared(REFERENCE_DIR / 'iart_small_official_state.pth'))
    assert detect_layout(state) == 'iart'
    cfg = infer_iart_config(state)
    assert {k: cfg[k] for k in ('in_channels', 'mid_channels', 'embed_dim', 'depths', 'num_heads', 'window_size',
                                'mlp_ratio')} == dict(in_channels=3, mid_channels=32, embed_dim=32, depths=(2, 2),
                                                      num_heads=(4, 4), window_size=(3, 8, 8), mlp_ratio=2.0)
    assert cfg['aligner'] == dict(type='ImplicitWarp', dim=32, num_heads=4, window_size=2, pe_dim=32, pe_temp=0.01)


def test_tiny_checkpoint_params_and_ema(tiny_official):
    path, params, ema = tiny_official
    net = init_from_official(path)
    assert not net.training and net.embed_dim == 8
    assert [len(layer.residual_group.blocks) for layer in net.swin_backbone['forward_2'].layers] == [2, 1]
    sd = net.state_dict()
    assert torch.equal(sd['aligner.q.weight'], params['implicit_warp.q.weight'])
    assert torch.equal(sd['spynet.basic_module.3.basic_module.4.conv.weight'],
                       params['spynet.basic_module.3.basic_module.8.weight'])
    assert torch.equal(sd['swin_backbone.forward_2.layers.1.residual_group.blocks.0.attn.qkv.bias'],
                       params['swin_backbone.forward_2.layers.1.residual_group.blocks.0.attn.qkv.bias'])
    sd_ema = init_from_official(path, use_ema=True).state_dict()
    assert torch.equal(sd_ema['aligner.q.weight'], ema['implicit_warp.q.weight'])
    assert torch.equal(sd_ema['conv_last.bias'], params['conv_last.bias'] + 1)


def test_use_ema_without_params_ema_fails(tmp_path):
    path = tmp_path / 'no_ema.pth'
    torch.save(dict(params={'conv.weight': torch.zeros(1)}), path)
    with pytest.raises(CheckpointMismatchError, match='no EMA weights'):
        init_from_official(path, use_ema=True)


def test_unused_keys_are_optional_and_only_documented_ones_accepted(tmp_path):
    net = MODELS.build(dict(type='IAPSRTRecurrentNet', **TINY))
    path = tmp_path / 'a.pth'
    torch.save(dict(params=official_layout(net, unused=False)), path)
    init_from_official(path)
    params = official_layout(net)
    params['swin_backbone.backward_1.conv_extra.weight'] = torch.zeros(3)
    torch.save(dict(params=params), path)
    with pytest.raises(CheckpointMismatchError) as err:
        init_from_official(path)
    msg = str(err.value)
    assert '\n' not in msg and 'unexpected keys (1)' in msg and 'swin_backbone.backward_1.conv_extra.weight' in msg


def test_missing_and_misshaped_keys_are_listed(tmp_path):
    net = MODELS.build(dict(type='IAPSRTRecurrentNet', **TINY))
    params = official_layout(net)
    del params['swin_backbone.forward_2.norm.weight']
    params['conv_hr.weight'] = torch.zeros(64, 64, 1, 1)
    path = tmp_path / 'broken.pth'
    torch.save(dict(params=params), path)
    with pytest.raises(CheckpointMismatchError) as err:
        init_from_official(path)
    msg = str(err.value)
    assert '\n' not in msg
    assert 'missing keys (1): swin_backbone.forward_2.norm.weight' in msg
    assert 'conv_hr.weight (64, 64, 1, 1) vs (64, 64, 3, 3)' in msg


def test_wrong_architecture_is_rejected_on_one_line(tmp_path):
    path = tmp_path / 'other.pth'
    torch.save(dict(params={'encoder.weight': torch.zeros(2), 'decoder.bias': torch.zeros(2)}), path)
    with pytest.raises(CheckpointMismatchError, match=r'unrecognised checkpoint.*encoder\.weight') as err:
        init_from_official(path)
    assert '\n' not in str(err.value)
    with pytest.raises(FileNotFoundError, match='not found'):
        init_from_official(tmp_path / 'absent.pth')


def test_psrt_recurrent_checkpoint_gets_patch_align(tmp_path):
    net = MODELS.build(dict(type='IAPSRTRecurrentNet', aligner=dict(type='PatchAlign'), **TINY))
    path = tmp_path / 'psrt.pth'
    torch.save(dict(params=official_layout(net)), path)
    loaded = init_from_official(path)
    assert type(loaded.aligner).__name__ == 'PatchAlign'
    assert detect_layout(read_official_state(path)) == 'psrt_recurrent'


def test_basicsr_basicvsr_checkpoint(tmp_path):
    ref = MODELS.build(dict(type='BasicVSRNet', mid_channels=8, num_blocks=2))
    basicsr = {}
    for k, v in to_basicsr_spynet_keys(ref.state_dict()).items():
        k = re.sub(r'^(backward|forward)_resblocks\.', r'\1_trunk.', k)
        k = re.sub(r'^upsample(\d)\.upsample_conv\.', r'upconv\1.', k)
        basicsr[k] = v
    path = tmp_path / 'basicvsr.pth'
    torch.save(dict(params=basicsr), path)
    net = init_from_official(path)
    assert type(net).__name__ == 'BasicVSRNet'
    for k, v in ref.state_dict().items():
        assert torch.equal(net.state_dict()[k], v), k


@pytest.mark.parametrize('layout', ['basicsr', 'mmagic'])
def test_spynet_checkpoints(tmp_path, layout):
    ref = SPyNet(pretrained=None)
    weights = {k: v for k, v in ref.state_dict().items() if k not in ('mean', 'std')}
    ckpt = dict(params=to_basicsr_spynet_keys(weights)) if layout == 'basicsr' else dict(state_dict=weights)
    path = tmp_path / 'spynet.pth'
    torch.save(ckpt, path)
    net = init_from_official(path)
    assert isinstance(net, SPyNet)
    for k, v in ref.state_dict().items():
        assert torch.equal(net.state_dict()[k], v), k


def _cli():
    spec = importlib.util.spec_from_file_location('convert_official_ckpt', REPO_DIR / 'tools' /
                                                  'convert_official_ckpt.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def test_cli_writes_mmengine_checkpoint_for_the_model_wrapper(tmp_path, capsys):
    src = require_shared(REFERENCE_DIR / 'iart_small_official_state.pth')
    dst = tmp_path / 'out' / 'iart_small_mmengine.pth'
    assert _cli()([str(src), str(dst)]) == 0
    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    assert set(ckpt) == {'meta', 'state_dict'}
    assert all(k.startswith('generator.') for k in ckpt['state_dict'] if k != 'step_counter')
    umask = os.umask(0)
    os.umask(umask)
    assert dst.stat().st_mode & 0o777 == 0o666 & ~umask  # as any new file, not the temp file's 0600
    generator = ckpt['meta']['iart_mm_official']['generator']
    assert len(ckpt['meta']['iart_mm_official']['dropped_keys']) == 24
    model = MODELS.build(
        dict(type='BasicVSR', generator=generator, pixel_loss=dict(type='CharbonnierLoss'),
             data_preprocessor=DataPreprocessor(mean=[0., 0., 0.], std=[255., 255., 255.])))
    load_checkpoint(model, str(dst), map_location='cpu', strict=True)
    expected = official_to_mmengine(src)['state_dict']
    for k, v in model.state_dict().items():
        if k.startswith('generator.'):
            assert torch.equal(v, expected[k]), k


def test_cli_errors_exit_2_and_overwrite_nothing(tmp_path, capsys):
    main = _cli()
    dst = tmp_path / 'dst.pth'
    assert main([str(tmp_path / 'absent.pth'), str(dst)]) == 2
    assert capsys.readouterr().err.startswith('error: source checkpoint not found')
    bad = tmp_path / 'bad.pth'
    torch.save(dict(params={'encoder.weight': torch.zeros(1)}), bad)
    assert main([str(bad), str(dst)]) == 2
    err = capsys.readouterr().err
    assert err.startswith('error: unrecognised checkpoint') and err.count('\n') == 1
    assert not dst.exists() and list(tmp_path.iterdir()) == [bad]
    dst.write_bytes(b'keep')
    assert main([str(bad), str(dst), '--overwrite']) == 2
    assert main([str(bad), str(dst)]) == 2
    assert 'exists' in capsys.readouterr().err
    assert dst.read_bytes() == b'keep'

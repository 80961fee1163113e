"""IART to ONNX the way a user goes: the small released-format state converted by
tools/convert_official_ckpt.py, exported by tools/export_onnx.py (the config comes from the converted file),
then run in ONNX Runtime on the release's own input (parity with the release's output) and at a second frame
size and length from the same file (parity with PyTorch)."""
import importlib.util
from pathlib import Path

import pytest
import torch

from iart_mm.deploy import metadata
from iart_mm.deploy.export import example_clip
from iart_mm.deploy.runtime import OnnxGenerator

REPO_DIR = Path(__file__).resolve().parents[2]
REFERENCE_DIR = REPO_DIR.parent / 'shared' / 'reference' / 'iart_official'


def _tool(name):
    spec = importlib.util.spec_from_file_location(f'{name}_tool', REPO_DIR / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    state, io = REFERENCE_DIR / 'iart_small_official_state.pth', REFERENCE_DIR / 'iart_small_io.pth'
    if not (state.exists() and io.exists()):
        pytest.skip(f'shared reference not found: {REFERENCE_DIR}')
    tmp = tmp_path_factory.mktemp('iart_onnx')
    assert _tool('convert_official_ckpt').main([str(state), str(tmp / 'iart_small.pth')]) == 0
    assert _tool('export_onnx').main([str(tmp / 'iart_small.pth'), str(tmp / 'iart_small.onnx'), '--frames', '3']) == 0
    return tmp, torch.load(io, weights_only=True)


def test_release_parity(exported):
    tmp, io = exported
    meta = metadata.read(tmp / 'iart_small.onnx')
    assert meta['network'] == 'IAPSRTRecurrentNet' and 'embed_dim' in meta['config']
    out = OnnxGenerator(tmp / 'iart_small.onnx')(io['lq'])
    assert out.shape == io['output'].shape
    assert (out - io['output']).abs().max().item() <= 2e-4


def test_second_size_and_length_from_the_same_file(exported):
    tmp, _ = exported
    from iart_mm.apis.onnx_export import export_checkpoint, load_checkpoint_and_config  # noqa: F401
    from iart_mm.apis.inference import init_model
    ckpt, cfg = load_checkpoint_and_config(tmp / 'iart_small.pth')
    net = init_model(cfg, ckpt)
    lrs = example_clip(4, (72, 80), seed=5)  # h, w not multiples of the 8x8 window
    with torch.no_grad():
        ref = net(lrs)
    out = OnnxGenerator(tmp / 'iart_small.onnx')(lrs)
    assert (out - ref).abs().max().item() <= 1e-4

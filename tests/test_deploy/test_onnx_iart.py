"""IART to ONNX the way a user goes: the small released-format state converted by
tools/convert_official_ckpt.py, then tools/export_onnx.py (the config comes from the converted file).

The IART graph (iart_mm/deploy/iart_stages.py) does not match PyTorch yet, so the tool refuses IART with one
line and exit 2 and writes nothing; when it does match, this test becomes the parity test against the
release's output (iart_small_io.pth, max abs diff <= 2e-4) and at a second frame size.
"""
import importlib.util
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]
REFERENCE_DIR = REPO_DIR.parent / 'shared' / 'reference' / 'iart_official'


def _tool(name):
    spec = importlib.util.spec_from_file_location(f'{name}_tool', REPO_DIR / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_iart_export_is_refused_in_one_line(tmp_path, capsys):
    state = REFERENCE_DIR / 'iart_small_official_state.pth'
    if not state.exists():
        pytest.skip(f'shared reference not found: {state}')
    assert _tool('convert_official_ckpt').main([str(state), str(tmp_path / 'iart_small.pth')]) == 0
    capsys.readouterr()
    out = tmp_path / 'iart_small.onnx'
    assert _tool('export_onnx').main([str(tmp_path / 'iart_small.pth'), str(out), '--frames', '3']) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('error: ') and 'IAPSRTRecurrentNet' in err[0]
    assert not out.exists() and not any(tmp_path.glob('.*partial'))

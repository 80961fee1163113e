"""tools/dataset_converters/make_lr_frames.py: BI of the shared Vid4 GT is bit-exact with the shared BIx4;
BD output has the right sizes; bad input fails with one line and overwrites nothing."""
import subprocess
import sys

import cv2
import numpy as np
import pytest

from tests.paths import DATA_DIR, REPO_DIR, require_shared

sys.path.insert(0, str(REPO_DIR / 'tools' / 'dataset_converters'))
from make_lr_frames import main as make_lr_frames_main  # noqa: E402

SCRIPT = REPO_DIR / 'tools' / 'dataset_converters' / 'make_lr_frames.py'


def test_bi_of_vid4_gt_is_bit_exact(tmp_path):
    gt_dir = require_shared(DATA_DIR / 'vid4' / 'GT')
    assert make_lr_frames_main([str(gt_dir), str(tmp_path / 'BIx4'), '--degradation', 'BI']) == 0
    written = sorted((tmp_path / 'BIx4').rglob('*.png'))
    assert len(written) == 32
    for path in written:
        rel = path.relative_to(tmp_path / 'BIx4')
        ref = cv2.imread(str(DATA_DIR / 'vid4' / 'BIx4' / rel), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(cv2.imread(str(path), cv2.IMREAD_UNCHANGED), ref, err_msg=str(rel))


def test_bd_writes_quarter_size_frames(tmp_path):
    gt = tmp_path / 'GT' / 'clip'
    gt.mkdir(parents=True)
    rng = np.random.default_rng(0)
    cv2.imwrite(str(gt / '00000000.png'), rng.integers(0, 256, (32, 48, 3), dtype=np.uint8))
    cv2.imwrite(str(gt / '00000001.png'), rng.integers(0, 256, (32, 48), dtype=np.uint8))  # grey -> 3 channels
    assert make_lr_frames_main([str(tmp_path / 'GT'), str(tmp_path / 'BD'), '--degradation', 'BD']) == 0
    for name in ('00000000.png', '00000001.png'):
        assert cv2.imread(str(tmp_path / 'BD' / 'clip' / name), cv2.IMREAD_UNCHANGED).shape == (8, 12, 3)


def test_bad_input_one_line_error_and_no_overwrite(tmp_path, capsys):
    assert make_lr_frames_main([str(tmp_path / 'missing'), str(tmp_path / 'out')]) == 2
    assert capsys.readouterr().err.startswith('error: GT folder not found')
    gt = tmp_path / 'GT' / 'c'
    gt.mkdir(parents=True)
    cv2.imwrite(str(gt / 'a.png'), np.zeros((16, 16, 3), np.uint8))
    out = tmp_path / 'out' / 'c'
    out.mkdir(parents=True)
    (out / 'a.png').write_bytes(b'keep')
    assert make_lr_frames_main([str(tmp_path / 'GT'), str(tmp_path / 'out')]) == 2
    assert 'not overwriting' in capsys.readouterr().err
    assert (out / 'a.png').read_bytes() == b'keep'


@pytest.mark.parametrize('argv', [['--degradation', 'XX']])
def test_cli_rejects_unknown_degradation(tmp_path, argv):
    res = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path), str(tmp_path / 'o')] + argv,
                         capture_output=True, text=True)
    assert res.returncode == 2 and 'invalid choice' in res.stderr

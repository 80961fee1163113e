"""tools/dataset_converters/make_annotations.py: Vid4 meta file equals the shared one, REDS4 split, Vimeo list."""
import sys

import cv2
import numpy as np

from tests.paths import DATA_DIR, REPO_DIR, require_shared

sys.path.insert(0, str(REPO_DIR / 'tools' / 'dataset_converters'))
from make_annotations import main  # noqa: E402


def _clip(root, name, frames=2, size=(8, 12)):
    d = root / name
    d.mkdir(parents=True)
    for i in range(frames):
        cv2.imwrite(str(d / f'{i:08d}.png'), np.zeros(size + (3, ), np.uint8))


def test_folder_meta_matches_shared_vid4_list(tmp_path):
    gt = require_shared(DATA_DIR / 'vid4' / 'GT')
    assert main(['folder', str(gt), str(tmp_path / 'meta.txt')]) == 0
    assert (tmp_path / 'meta.txt').read_text() == (DATA_DIR / 'vid4' / 'meta_info_Vid4_GT_first8.txt').read_text()


def test_reds4_split(tmp_path, capsys):
    for name in ('000', '001', '011', '015', '020', '269'):
        _clip(tmp_path / 'gt', name)
    assert main(['reds4', str(tmp_path / 'gt'), str(tmp_path / 'ann')]) == 0
    val = (tmp_path / 'ann' / 'meta_info_reds4_val.txt').read_text().split('\n')
    train = (tmp_path / 'ann' / 'meta_info_reds4_train.txt').read_text().split('\n')
    assert [v.split()[0] for v in val if v] == ['000', '011', '015', '020']
    assert train[:2] == ['001 2 (8,12,3)', '269 2 (8,12,3)']
    assert main(['reds4', str(tmp_path / 'gt'), str(tmp_path / 'ann')]) == 2  # no overwrite
    assert 'not overwriting' in capsys.readouterr().err


def test_vimeo90k_meta_and_errors(tmp_path, capsys):
    _clip(tmp_path / 'GT' / '00001', '0266', frames=7)
    (tmp_path / 'sep.txt').write_text('00001/0266\n')
    assert main(['vimeo90k', str(tmp_path / 'sep.txt'), str(tmp_path / 'GT'), str(tmp_path / 'm.txt')]) == 0
    assert (tmp_path / 'm.txt').read_text() == '00001/0266 7 (8,12,3)\n'
    (tmp_path / 'sep2.txt').write_text('00001/9999\n')
    assert main(['vimeo90k', str(tmp_path / 'sep2.txt'), str(tmp_path / 'GT'), str(tmp_path / 'm2.txt')]) == 2
    assert capsys.readouterr().err.startswith('error:') and not (tmp_path / 'm2.txt').exists()

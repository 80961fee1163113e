"""MATLAB-compatible bicubic: bit-exact against the official Vid4 BIx4 frames, and basic properties."""
import cv2
import numpy as np
import pytest

from iart_mm.datasets.matlab_resize import bi_downsample, imresize, round_to_uint8
from tests.paths import DATA_DIR, require_shared


def _rgb(path):
    return cv2.imread(str(path), cv2.IMREAD_COLOR)[:, :, ::-1]


@pytest.mark.parametrize('clip', ['calendar', 'city', 'foliage', 'walk'])
def test_bi_of_vid4_gt_is_bit_exact(clip):
    vid4 = require_shared(DATA_DIR / 'vid4')
    for i in (0, 7):
        gt = _rgb(vid4 / 'GT' / clip / f'{i:08d}.png')
        lr = _rgb(vid4 / 'BIx4' / clip / f'{i:08d}.png')
        out = bi_downsample(np.ascontiguousarray(gt), 4)
        assert out.shape == lr.shape
        assert np.array_equal(out, lr), f'{clip}/{i}: {(out != lr).sum()} pixels differ'


def test_constant_image_stays_constant_and_sizes_round_up():
    img = np.full((17, 10, 3), 77, np.uint8)
    out = imresize(img, 0.25)
    assert out.shape == (5, 3, 3)
    np.testing.assert_allclose(out, 77, atol=1e-9)
    assert imresize(img[..., 0], 2).shape == (34, 20)


def test_rounding_is_half_away_from_zero():
    assert round_to_uint8(np.array([0.5, 1.5, 2.5, 254.6, 300, -3])).tolist() == [1, 2, 3, 255, 255, 0]


def test_bad_input_is_refused():
    with pytest.raises(TypeError, match='uint8'):
        bi_downsample(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match='positive scale'):
        imresize(np.zeros((8, 8)), 0)

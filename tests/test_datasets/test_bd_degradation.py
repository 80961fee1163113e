"""BD degradation: MATLAB fspecial kernel, even-kernel anchor (blur centred at i + 0.5), replicate border,
uint8 rounding, 2:4:end-2 sampling."""
import numpy as np
import pytest

from iart_mm.datasets.bd_degradation import (bd_downsample, bd_kernel_1d, bd_kernel_2d, bd_sample_indices,
                                             gaussian_blur_matlab)


def test_kernel_is_fspecial_12x12_sigma_1_6():
    k2 = bd_kernel_2d()
    assert k2.shape == (12, 12)
    x = np.arange(-5.5, 6.0, 1.0)
    ref = np.exp(-(x[:, None]**2 + x[None, :]**2) / (2 * 1.6**2))
    np.testing.assert_allclose(k2, ref / ref.sum(), rtol=1e-12)
    assert bd_kernel_1d().sum() == pytest.approx(1.0)


def test_anchor_centres_the_blur_at_i_plus_half():
    # on a ramp in[x] = 8x the correlation gives out[i] = 8 (i + 0.5) away from the borders (exact integers)
    ramp = np.tile((8 * np.arange(32)).astype(np.uint8), (32, 1))
    out = gaussian_blur_matlab(ramp).astype(int)
    np.testing.assert_array_equal(out[:, 6:-7], np.tile(8 * np.arange(6, 25) + 4, (32, 1)))


def test_impulse_response_spans_offsets_minus_6_to_plus_5():
    img = np.zeros((40, 40), np.uint8)
    img[20, 20] = 255
    out = gaussian_blur_matlab(img)
    rows = np.nonzero(out.max(axis=1))[0]
    assert rows.min() >= 20 - 6 and rows.max() <= 20 + 5
    assert out[19, 20] == out[20, 20] == out.max()  # the two central taps carry equal weight


def test_replicate_border_keeps_flat_edges_flat():
    img = np.full((24, 24, 3), 200, np.uint8)
    img[:, 12:] = 40  # only the right half differs; the left border must stay 200 (zero padding would darken it)
    out = gaussian_blur_matlab(img)
    assert (out[:, :3] == 200).all() and (out[:, -3:] == 40).all()


def test_rounding_is_half_away_from_zero():
    img = np.zeros((16, 16), np.uint8)
    img[:, 8:] = 1  # blurred values straddle .5 near the edge
    out = gaussian_blur_matlab(img).astype(float)
    k = bd_kernel_1d()
    exact = np.array([sum(k[j] * (1 if 0 <= min(max(i + j - 5, 0), 15) >= 8 else 0) for j in range(12))
                      for i in range(16)])
    np.testing.assert_array_equal(out[0], np.floor(exact + 0.5))


def test_sampling_is_matlab_2_4_end_minus_2():
    assert bd_sample_indices(16).tolist() == [1, 5, 9, 13]  # 1-based 2:4:14
    assert bd_sample_indices(18).tolist() == [1, 5, 9, 13]  # 1-based 2:4:16, not 17
    # each LR pixel is the Gaussian centred on its 4x4 block: on a ramp 8x, LR[k] = mean of block = 32k + 12
    ramp = np.tile((8 * np.arange(32)).astype(np.uint8), (32, 1))
    lr = bd_downsample(ramp)
    assert lr.shape == (8, 8, 3)
    np.testing.assert_array_equal(lr[0, 2:6, 0], 32 * np.arange(2, 6) + 12)


def test_bad_input():
    with pytest.raises(TypeError, match='uint8'):
        bd_downsample(np.zeros((16, 16, 3), np.float32))
    with pytest.raises(ValueError, match='shape'):
        bd_downsample(np.zeros((16, 16, 2), np.uint8))

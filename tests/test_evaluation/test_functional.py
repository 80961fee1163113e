"""Unit checks of the BasicSR-faithful metric functions (rounding, Y conversion, PSNR, SSIM, bad input)."""
import numpy as np
import pytest
import torch

from iart_mm.evaluation import bt601_y, psnr, quantize_to_uint8, ssim


def test_quantize_rounds_half_to_even_and_clamps():
    x = torch.tensor([-3.0, 0.5, 1.5, 2.5, 254.5, 300.0, 3.4999])
    assert quantize_to_uint8(x).tolist() == [0, 0, 2, 2, 254, 255, 3]


def test_bt601_y_formula_and_channel_order():
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30]]], dtype=np.uint8)
    expected = 16 + (65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255
    y = bt601_y(rgb, 'RGB')
    assert y.dtype == np.float32 and y.shape == (1, 4, 1)
    np.testing.assert_allclose(y[..., 0], expected, atol=1e-4)
    np.testing.assert_array_equal(bt601_y(rgb[..., ::-1], 'BGR'), y)


def test_psnr_known_value_and_identity():
    a = np.zeros((16, 16, 3), np.uint8)
    b = a.copy()
    b[0, 0, 0] = 16  # MSE = 256 / 768
    assert psnr(a, b) == pytest.approx(10 * np.log10(255**2 * 768 / 256))
    assert psnr(a, a) == float('inf')


def test_ssim_identity_and_order():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (24, 20, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-20, 21, a.shape), 0, 255).astype(np.uint8)
    assert ssim(a, a) == pytest.approx(1.0)
    assert 0 < ssim(a, b) < 1
    assert ssim(a, b, test_y_channel=True, channel_order='RGB') == \
        pytest.approx(ssim(a[..., ::-1], b[..., ::-1], test_y_channel=True, channel_order='BGR'))


@pytest.mark.parametrize('call', [
    lambda: psnr(np.zeros((4, 4, 3)), np.zeros((4, 5, 3))),
    lambda: ssim(np.zeros((8, 8, 3)), np.zeros((8, 8, 3))),
    lambda: bt601_y(np.zeros((4, 4, 3), np.uint8), 'YUV'),
    lambda: bt601_y(np.zeros((4, 4, 2), np.uint8)),
])
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()

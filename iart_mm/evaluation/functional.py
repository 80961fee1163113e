"""Image-quality functions of the VSR papers' protocol (BasicSR ``calculate_psnr`` / ``calculate_ssim``).

They follow IART's ``test_scripts`` (docs/release_differences.md, "Evaluation protocol") to the last bit that
matters:

- the network output is clamped to [0, 255] and rounded to 8 bits with ``np.round`` (round half to even),
  exactly like BasicSR ``tensor2img``, before any metric is taken (:func:`quantize_to_uint8`);
- Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255 on a [0, 255] scale, computed from the uint8 image in
  float32 and *not* rounded (:func:`bt601_y`);
- PSNR = 10 log10(255^2 / MSE) in float64 over all pixels (and channels, for RGB);
- SSIM = BasicSR ``_ssim``: 11x11 Gaussian window (sigma 1.5), 'valid' region, per channel then averaged;
- crop_border 0 unless asked.

All images are numpy arrays of shape (h, w, 3) (or (h, w, 1) / (h, w) for a single channel).
``channel_order`` says whether the 3 channels are 'RGB' or 'BGR' (MMagic hands BGR to its evaluators).
"""
import cv2
import numpy as np

# BT.601 luma weights for R, G, B on a [0, 1] input, giving Y on a [16, 235] scale (BasicSR rgb2ycbcr).
_Y_WEIGHTS_RGB = np.array([65.481, 128.553, 24.966])
_CHANNEL_ORDERS = ('RGB', 'BGR')


def quantize_to_uint8(img):
    """Clamp to [0, 255] and round half to even (``np.round``), as BasicSR ``tensor2img`` does.

    Args:
        img (np.ndarray | torch.Tensor): any shape, values on a [0, 255] scale (float).

    Returns:
        np.ndarray: uint8, same shape.
    """
    if hasattr(img, 'detach'):
        img = img.detach().cpu().numpy()
    img = np.asarray(img)
    if img.dtype == np.uint8:
        return img
    return np.round(np.clip(img.astype(np.float32), 0, 255)).astype(np.uint8)


def bt601_y(img, channel_order='RGB'):
    """Y channel (BT.601, [16, 235] scale, float32, unrounded) of an 8-bit colour image.

    Mirrors BasicSR ``to_y_channel``: uint8 -> float32 / 255 -> dot with the weights (float64)
    + 16 -> / 255 -> float32 -> x 255.

    Args:
        img (np.ndarray): (h, w, 3) uint8 (or integer-valued float) in ``channel_order``.
        channel_order (str): 'RGB' or 'BGR'.

    Returns:
        np.ndarray: (h, w, 1) float32.
    """
    channel_order = _check_order(channel_order)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'bt601_y needs an (h, w, 3) image, got shape {img.shape}')
    weights = _Y_WEIGHTS_RGB if channel_order == 'RGB' else _Y_WEIGHTS_RGB[::-1]
    img = img.astype(np.float32) / 255.
    y = ((np.dot(img, weights) + 16.0) / 255.).astype(np.float32)
    return (y * 255.)[..., None]


def _prepare(img1, img2, crop_border, test_y_channel, channel_order):
    """Shared prelude of :func:`psnr` and :func:`ssim`: checks, crop, optional Y, float64."""
    if img1.shape != img2.shape:
        raise ValueError(f'image shapes differ: {img1.shape} vs {img2.shape}')
    if img1.ndim == 2:
        img1, img2 = img1[..., None], img2[..., None]
    if crop_border:
        img1 = img1[crop_border:-crop_border, crop_border:-crop_border, ...]
        img2 = img2[crop_border:-crop_border, crop_border:-crop_border, ...]
    if test_y_channel:
        img1, img2 = bt601_y(img1, channel_order), bt601_y(img2, channel_order)
    return img1.astype(np.float64), img2.astype(np.float64)


def psnr(img1, img2, crop_border=0, test_y_channel=False, channel_order='RGB'):
    """PSNR (dB, MAX 255) between two 8-bit images of shape (h, w, c); inf when equal."""
    img1, img2 = _prepare(img1, img2, crop_border, test_y_channel, channel_order)
    mse = np.mean((img1 - img2)**2)
    if mse == 0:
        return float('inf')
    return float(10. * np.log10(255. * 255. / mse))


def _ssim_single_channel(img1, img2):
    """BasicSR ``_ssim`` on two float64 (h, w) images on a [0, 255] scale (valid region only)."""
    c1 = (0.01 * 255)**2
    c2 = (0.03 * 255)**2
    kernel = cv2.getGaussianKernel(11, 1.5)
    window = np.outer(kernel, kernel.transpose())
    mu1 = cv2.filter2D(img1, -1, window)[5:-5, 5:-5]
    mu2 = cv2.filter2D(img2, -1, window)[5:-5, 5:-5]
    mu1_sq, mu2_sq, mu1_mu2 = mu1**2, mu2**2, mu1 * mu2
    sigma1_sq = cv2.filter2D(img1**2, -1, window)[5:-5, 5:-5] - mu1_sq
    sigma2_sq = cv2.filter2D(img2**2, -1, window)[5:-5, 5:-5] - mu2_sq
    sigma12 = cv2.filter2D(img1 * img2, -1, window)[5:-5, 5:-5] - mu1_mu2
    ssim_map = ((2 * mu1_mu2 + c1) * (2 * sigma12 + c2)) / ((mu1_sq + mu2_sq + c1) * (sigma1_sq + sigma2_sq + c2))
    return ssim_map.mean()


def ssim(img1, img2, crop_border=0, test_y_channel=False, channel_order='RGB'):
    """SSIM (BasicSR ``calculate_ssim``) between two 8-bit images of shape (h, w, c), mean over channels."""
    img1, img2 = _prepare(img1, img2, crop_border, test_y_channel, channel_order)
    if min(img1.shape[:2]) < 11:
        raise ValueError(f'SSIM needs images of at least 11x11 pixels, got {img1.shape[:2]}')
    return float(np.mean([_ssim_single_channel(img1[..., i], img2[..., i]) for i in range(img1.shape[2])]))


def _check_order(channel_order):
    order = str(channel_order).upper()
    if order not in _CHANNEL_ORDERS:
        raise ValueError(f'channel_order must be one of {_CHANNEL_ORDERS}, got {channel_order!r}')
    return order

"""BD degradation of the VSR benchmarks (Vid4 BD, UDM10, Vimeo-90K BDx4), exactly the MATLAB recipe
(docs/release_differences.md, "BD degradation").

IART's ``datasets/bd_vimeo90k.m`` / ``bd_reds.m`` (as BasicVSR's):
``k = fspecial('gaussian', 12, 1.6); lr = imfilter(gt, k, 'replicate'); lr = lr(2:4:end-2, 2:4:end-2, :)``.

- kernel: 12x12 (ceil(3 sigma) * 2 + 2, even), taps at +-0.5 ... +-5.5, normalised; it is separable, so two
  1-D passes of the normalised 1-D Gaussian give the same float64 result;
- ``imfilter`` on uint8: correlation with MATLAB's anchor for an even kernel (element 6 of 12, 1-based), so
  ``out[i] = sum_{j=0..11} k[j] * in[i + j - 5]`` (0-based): the blur is centred at i + 0.5; replicate border;
  the result is rounded half away from zero to uint8;
- sampling ``2:4:end-2`` (1-based) = 0-based ``1, 5, 9, ... <= n - 3``: each LR pixel is the Gaussian centred on the
  middle of its 4x4 HR block.
Grey images are replicated to 3 channels. This is *not* DUF's BD (13x13 kernel, reflect padding, stride from 0).
"""
import math

import numpy as np

BD_SIGMA = 1.6
#: MATLAB's anchor (0-based index into the kernel) of an even-length kernel: floor((n + 1) / 2) - 1
_ANCHOR = 5


def bd_kernel_1d(sigma=BD_SIGMA):
    """Normalised 1-D taps of ``fspecial('gaussian', size, sigma)`` with size = ceil(3 sigma) * 2 + 2 (12 for 1.6).

    Returns:
        np.ndarray: (size,) float64; the 2-D kernel is ``np.outer(k, k)``.
    """
    size = math.ceil(3 * sigma) * 2 + 2
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2  # -5.5 ... 5.5
    k = np.exp(-(x * x) / (2 * sigma * sigma))
    return k / k.sum()


def bd_kernel_2d(sigma=BD_SIGMA):
    """``fspecial('gaussian', size, sigma)`` as a (size, size) float64 array (sums to 1)."""
    k = bd_kernel_1d(sigma)
    return np.outer(k, k)


def _correlate_axis(img, k, axis):
    """MATLAB ``imfilter`` along one axis: correlation, anchor :data:`_ANCHOR`, replicate border (float64)."""
    n = len(k)
    pad = [(0, 0)] * img.ndim
    pad[axis] = (_ANCHOR, n - 1 - _ANCHOR)
    padded = np.pad(img, pad, mode='edge')
    length = img.shape[axis]
    out = np.zeros(img.shape, dtype=np.float64)
    for j in range(n):
        out += k[j] * np.take(padded, np.arange(j, j + length), axis=axis)
    return out


def gaussian_blur_matlab(img, sigma=BD_SIGMA):
    """``imfilter(img, fspecial('gaussian', 12, sigma), 'replicate')`` on a uint8 (h, w[, c]) image -> uint8."""
    if img.dtype != np.uint8:
        raise TypeError(f'BD degradation works on uint8 frames, got {img.dtype}')
    k = bd_kernel_1d(sigma)
    out = _correlate_axis(_correlate_axis(img.astype(np.float64), k, 0), k, 1)
    return np.floor(np.clip(out, 0, 255) + 0.5).astype(np.uint8)  # MATLAB uint8(): half away from zero


def bd_sample_indices(length, scale=4):
    """0-based indices of MATLAB's ``2:scale:end-2`` (for scale 4) along an axis of ``length`` pixels."""
    return np.arange(scale // 2 - 1, length - 2, scale)


def bd_downsample(img, scale=4, sigma=BD_SIGMA):
    """BD x``scale`` of a uint8 HR frame: Gaussian blur (MATLAB recipe above), then ``2:4:end-2`` sampling.

    Args:
        img (np.ndarray): (h, w, 3) or (h, w) uint8; a grey frame becomes 3 identical channels.

    Returns:
        np.ndarray: (len(2:4:h-2), len(2:4:w-2), 3) uint8, i.e. (h/4, w/4, 3) for h, w divisible by 4.
    """
    if img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 1):
        img = np.repeat(img.reshape(img.shape[0], img.shape[1], 1), 3, axis=2)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'expected an (h, w, 3) or (h, w) frame, got shape {img.shape}')
    if min(img.shape[:2]) < scale:
        raise ValueError(f'frame {img.shape[:2]} is smaller than the scale {scale}')
    blurred = gaussian_blur_matlab(img, sigma)
    rows, cols = bd_sample_indices(img.shape[0], scale), bd_sample_indices(img.shape[1], scale)
    return blurred[rows][:, cols]

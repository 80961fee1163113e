"""MATLAB-compatible bicubic resize (``imresize(img, scale, 'bicubic')``, antialiasing on).

This is how the standard BI degradation of VSR benchmarks (Vid4, REDS, Vimeo-90K BIx4) was made:
cubic kernel with a = -0.5, widened by 1/scale when downsampling, symmetric border, rows resized first,
double-precision intermediate, and rounding half away from zero to uint8 at the very end. Applied to the
Vid4 GT it reproduces the shared BIx4 frames bit-exactly (tests/test_datasets/test_matlab_resize.py).

Each 1-D pass is a dense (out, in) weight matrix, so a resize is two matrix products.
"""
import math
from functools import lru_cache

import numpy as np


def _cubic(x):
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB's 'bicubic')."""
    ax = np.abs(x)
    ax2, ax3 = ax * ax, ax * ax * ax
    return ((1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1) +
            (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2)))


@lru_cache(maxsize=64)
def _weight_matrix(in_len, out_len, scale):
    """(out_len, in_len) float64 matrix of one 1-D MATLAB bicubic pass."""
    width = 4.0
    if scale < 1:  # antialiasing: stretch the kernel
        kernel = lambda x: scale * _cubic(scale * x)  # noqa: E731
        width = width / scale
    else:
        kernel = _cubic
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)  # 1-based input coordinate of each output sample
    left = np.floor(u - width / 2)
    taps = int(math.ceil(width)) + 2
    idx = left[:, None] + np.arange(taps)[None, :]  # 1-based
    w = kernel(u[:, None] - idx)
    w = w / w.sum(axis=1, keepdims=True)
    # symmetric (mirror with edge repeat) border, as MATLAB: index 0 -> 1, -1 -> 2, n+1 -> n ...
    i0 = idx.astype(np.int64) - 1
    period = 2 * in_len
    i0 = np.mod(i0, period)
    i0 = np.where(i0 >= in_len, period - 1 - i0, i0)
    mat = np.zeros((out_len, in_len), dtype=np.float64)
    np.add.at(mat, (np.repeat(np.arange(out_len), taps), i0.ravel()), w.ravel())
    return mat


def imresize(img, scale=None, output_shape=None):
    """Resize like MATLAB ``imresize(img, scale)`` with the bicubic kernel and antialiasing.

    Args:
        img (np.ndarray): (h, w) or (h, w, c) array, any numeric dtype; computed in float64.
        scale (float): resize factor, e.g. 1/4. Used when ``output_shape`` is None.
        output_shape (tuple[int, int] | None): (out_h, out_w); its per-axis scale is out/in.

    Returns:
        np.ndarray: float64 array of shape (ceil(h*scale), ceil(w*scale)[, c]), not rounded.
    """
    img = np.asarray(img)
    if img.ndim not in (2, 3):
        raise ValueError(f'imresize expects an (h, w) or (h, w, c) array, got shape {img.shape}')
    h, w = img.shape[:2]
    if output_shape is None:
        if scale is None or scale <= 0:
            raise ValueError(f'imresize needs a positive scale or an output_shape, got scale={scale}')
        out_h, out_w = int(math.ceil(h * scale)), int(math.ceil(w * scale))
        sh = sw = float(scale)
    else:
        out_h, out_w = (int(v) for v in output_shape)
        sh, sw = out_h / h, out_w / w
    x = img.astype(np.float64)
    flat = x.reshape(h, w, -1)
    # MATLAB resizes the dimension with the smaller scale first; on ties, rows first.
    if sw < sh:
        flat = np.einsum('ow,hwc->hoc', _weight_matrix(w, out_w, sw), flat)
        flat = np.einsum('oh,hwc->owc', _weight_matrix(h, out_h, sh), flat)
    else:
        flat = np.einsum('oh,hwc->owc', _weight_matrix(h, out_h, sh), flat)
        flat = np.einsum('ow,hwc->hoc', _weight_matrix(w, out_w, sw), flat)
    return flat.reshape(out_h, out_w, *img.shape[2:])


def round_to_uint8(img):
    """Clip to [0, 255] and round half away from zero (MATLAB's uint8 conversion)."""
    return np.floor(np.clip(img, 0, 255) + 0.5).astype(np.uint8)


def bi_downsample(img, scale=4):
    """The BI degradation: MATLAB bicubic downsampling by ``scale`` of a uint8 image, back to uint8.

    Args:
        img (np.ndarray): (h, w[, c]) uint8 HR image.
        scale (int): downsampling factor (4 for BIx4).

    Returns:
        np.ndarray: (ceil(h/scale), ceil(w/scale)[, c]) uint8.
    """
    if np.asarray(img).dtype != np.uint8:
        raise TypeError(f'bi_downsample expects a uint8 image, got {np.asarray(img).dtype}')
    return round_to_uint8(imresize(img, 1.0 / scale))

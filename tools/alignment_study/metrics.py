"""Scores for the alignment study: masked PSNR, and the radial power spectrum of an image.

Images are (n, 3, h, w) float tensors, RGB in [0, 1].
"""
import math

import numpy as np
import torch


def masked_psnr(pred, target, mask=None):
    """PSNR (dB, MAX 1) over the pixels where ``mask`` is true, all channels pooled.

    Args:
        pred, target (Tensor): (n, c, h, w) in [0, 1]; ``pred`` is clamped to [0, 1] first.
        mask (Tensor | None): (n, 1, h, w) bool, or None for every pixel.
    """
    if pred.shape != target.shape:
        raise ValueError(f'shape mismatch: {tuple(pred.shape)} vs {tuple(target.shape)}')
    err = (pred.clamp(0, 1) - target) ** 2
    if mask is not None:
        m = mask.expand_as(err)
        if not m.any():
            raise ValueError('empty mask: no pixel to score')
        mse = err[m].mean().item()
    else:
        mse = err.mean().item()
    return float('inf') if mse == 0 else -10 * math.log10(mse)


def luma(img):
    """(n, 3, h, w) RGB in [0, 1] -> (n, h, w) BT.601 luma in [0, 1] (as BasicSR, without the 16/255 offset)."""
    w = img.new_tensor([65.481, 128.553, 24.966]) / 255.
    return (img * w[None, :, None, None]).sum(1)


def radial_power_spectrum(img, n_bins=24):
    """Mean power of the 2-D spectrum of the luma in rings of equal radial frequency.

    A Hann window removes the edge discontinuity (it would add spurious high-frequency power); the
    mean is subtracted. Frequencies are in cycles per pixel, 0 .. 0.5 (Nyquist along an axis).

    Args:
        img (Tensor): (n, 3, h, w) in [0, 1]; the power is averaged over the batch.
        n_bins (int): number of rings between 0 and 0.5.

    Returns:
        tuple[np.ndarray, np.ndarray]: ring centre frequencies (n_bins,), mean power per ring (n_bins,).
    """
    y = luma(img.clamp(0, 1)).double()
    n, h, w = y.shape
    win = torch.outer(torch.hann_window(h, periodic=False, dtype=torch.float64),
                      torch.hann_window(w, periodic=False, dtype=torch.float64))
    y = (y - y.mean(dim=(1, 2), keepdim=True)) * win
    power = (torch.fft.fft2(y).abs() ** 2).mean(0).numpy()
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    rad = np.sqrt(fy ** 2 + fx ** 2)
    edges = np.linspace(0, 0.5, n_bins + 1)
    idx = np.digitize(rad, edges) - 1
    keep = (idx >= 0) & (idx < n_bins)
    sums = np.bincount(idx[keep], weights=power[keep], minlength=n_bins)
    counts = np.bincount(idx[keep], minlength=n_bins)
    return 0.5 * (edges[:-1] + edges[1:]), sums / np.maximum(counts, 1)

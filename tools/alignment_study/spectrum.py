"""Experiment (c): frequency response of the aligners, as radial power spectra relative to ground truth.

For each method the ratio P_aligned(f) / P_gt(f) of ring-averaged luma power is computed on frames with no
occlusion and no border (the synthetic exact-translation pairs, cropped), so a ratio below 1 means the method
attenuates that frequency and above 1 means it adds power there (aliasing / distortion).
"""
import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from .metrics import radial_power_spectrum  # noqa: E402


def spectrum_ratios(outputs, targets, crop=4, n_bins=24):
    """Radial power ratio of aligned frames to their ground truth.

    Args:
        outputs (dict[str, list[Tensor]]): method -> aligned frames (1, 3, h, w), one per target.
        targets (list[Tensor]): the true current frames (1, 3, h, w).
        crop (int): border dropped (where the sample point may leave the neighbour).

    Returns:
        tuple[np.ndarray, dict[str, np.ndarray]]: ring frequencies (cycles/px), method -> ratio per ring.
    """
    c = (slice(None), slice(None), slice(crop, -crop), slice(crop, -crop))
    freqs, p_gt = radial_power_spectrum(torch.cat([t[c] for t in targets]), n_bins)
    ratios = {}
    for name, outs in outputs.items():
        _, p = radial_power_spectrum(torch.cat([o[c] for o in outs]), n_bins)
        ratios[name] = p / np.maximum(p_gt, 1e-20)
    return freqs, ratios


def band_ratios(freqs, ratios, bands=((0.0, 0.125), (0.125, 0.25), (0.25, 0.375), (0.375, 0.5))):
    """Mean ratio per frequency band: method -> list of floats, one per band."""
    return {name: [float(r[(freqs >= lo) & (freqs < hi)].mean()) for lo, hi in bands]
            for name, r in ratios.items()}


def plot_ratios(freqs, ratios, path, title):
    """Save a small PNG of ratio vs frequency (log y), one line per method."""
    fig, ax = plt.subplots(figsize=(5.2, 3.4), dpi=90)
    for name, r in ratios.items():
        ax.semilogy(freqs, r, label=name, lw=1.3, ls='--' if name.startswith('IA') and name != 'IA' else '-')
    ax.axhline(1.0, color='k', lw=0.8)
    ax.set_xlabel('radial frequency (cycles / pixel)')
    ax.set_ylabel('power / power of ground truth')
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6.5, ncol=2)
    ax.grid(alpha=0.3, which='both')
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)

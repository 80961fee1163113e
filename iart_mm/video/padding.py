"""Pad LR frames up to a model's minimum spatial size (and crop the result back).

E.g. BasicVSR's SPyNet needs h, w >= 64. Reflection keeps natural image statistics at the border; it is
used when the frame is large enough for it, replication otherwise.
"""
import torch
import torch.nn.functional as F


def pad_to_min_size(lq: torch.Tensor, min_size: int = 64, multiple: int = 1):
    """Pad ``lq`` (n, t, c, h, w) on the bottom/right to h, w >= ``min_size`` and a multiple of ``multiple``.

    Returns ``(padded, (h, w))`` with the original size, for :func:`crop_output`.
    """
    n, t, c, h, w = lq.shape
    target_h = _round_up(max(h, min_size), multiple)
    target_w = _round_up(max(w, min_size), multiple)
    pad_h, pad_w = target_h - h, target_w - w
    if pad_h == 0 and pad_w == 0:
        return lq, (h, w)
    mode = 'reflect' if pad_h < h and pad_w < w else 'replicate'
    padded = F.pad(lq.reshape(n * t, c, h, w), (0, pad_w, 0, pad_h), mode=mode)
    return padded.reshape(n, t, c, target_h, target_w), (h, w)


def crop_output(out: torch.Tensor, size, scale: int):
    """Crop a model output (n, t, c, H, W) back to the (h*scale, w*scale) of the unpadded input."""
    h, w = size
    return out[..., :h * scale, :w * scale]


def _round_up(value, multiple):
    return -(-value // multiple) * multiple

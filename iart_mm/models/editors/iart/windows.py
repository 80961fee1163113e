"""3-D (t, h, w) window geometry of IART's Swin blocks: partition and reverse, relative positions, shift masks.

Windows are ``(wt, wh, ww)`` blocks of tokens ordered (t, h, w) row-major. Everything here is plain tensor code
on shapes (no Python loops over positions), so it traces with dynamic h and w.
"""
from functools import lru_cache

import torch
import torch.nn.functional as F

SHIFT_MASK_VALUE = -100.0


def window_partition(x, window_size):
    """Cut ``x`` (b, t, h, w, c) into windows: (b * num_windows, wt * wh * ww, c).

    t, h, w must be multiples of the window size.
    """
    b, t, h, w, c = x.shape
    wt, wh, ww = window_size
    x = x.view(b, t // wt, wt, h // wh, wh, w // ww, ww, c)
    return x.permute(0, 1, 3, 5, 2, 4, 6, 7).reshape(-1, wt * wh * ww, c)


def window_reverse(windows, window_size, b, t, h, w):
    """Inverse of :func:`window_partition`: (b * num_windows, wt * wh * ww, c) -> (b, t, h, w, c)."""
    wt, wh, ww = window_size
    x = windows.view(b, t // wt, h // wh, w // ww, wt, wh, ww, -1)
    return x.permute(0, 1, 4, 2, 5, 3, 6, 7).reshape(b, t, h, w, -1)


def window_padding(size, window_size):
    """(pad_t, pad_h, pad_w): the zeros to append so that a (t, h, w) clip is whole windows."""
    return tuple((-length) % win for length, win in zip(size, window_size))


def pad_clip(x, pads):
    """x (b, t, h, w, C) zero-padded at the end of t, h, w by ``pads`` (zeros, not masked: as the release)."""
    pad_t, pad_h, pad_w = pads
    return F.pad(x, (0, 0, 0, pad_w, 0, pad_h, 0, pad_t)) if any(pads) else x


def relative_position_index(window_size):
    """Index (N, N), N = wt*wh*ww, into a ((2wt-1)(2wh-1)(2ww-1), heads) bias table.

    The pair (i, j) maps to ``(dt + wt-1)(2wh-1)(2ww-1) + (dh + wh-1)(2ww-1) + (dw + ww-1)``, with
    d = position(i) - position(j).
    """
    wt, wh, ww = window_size
    coords = torch.stack(torch.meshgrid(torch.arange(wt), torch.arange(wh), torch.arange(ww), indexing='ij'))
    coords = coords.flatten(1)  # 3, N
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)  # N, N, 3
    rel = rel + torch.tensor([wt - 1, wh - 1, ww - 1])
    return rel[..., 0] * (2 * wh - 1) * (2 * ww - 1) + rel[..., 1] * (2 * ww - 1) + rel[..., 2]


@lru_cache(maxsize=16)
def shared_relative_position_index(window_size):
    """One index tensor per window size for every module: it is constant, and IART's 72 blocks would otherwise
    hold 72 copies (20 MB). Loading a checkpoint writes the same values into it again."""
    return relative_position_index(window_size)


def axis_regions(length, window, shift, device):
    """(length,) int64 region id of each position along one padded axis: with a shift, [0, L-ws) is 0,
    [L-ws, L-shift) is 1 and [L-shift, L) is 2 (the release's regions); without one, all 0."""
    pos = torch.arange(length, device=device)
    if shift == 0:
        return torch.zeros_like(pos)
    return (pos >= length - window).long() + (pos >= length - shift).long()


def shift_window_mask(padded_size, window_size, shift_size, device=None):
    """Additive mask (num_windows, N, N) of -100 between tokens of different shifted regions, else 0.

    ``padded_size`` is the padded (t, h, w) of the clip (multiples of the window); the windows are those of
    the clip rolled by ``-shift_size``, ordered as :func:`window_partition` orders them.
    """
    t, h, w = padded_size
    ids = [axis_regions(length, win, shift, device) for length, win, shift in zip(padded_size, window_size,
                                                                                   shift_size)]
    region = (ids[0].view(t, 1, 1) * 9 + ids[1].view(1, h, 1) * 3 + ids[2].view(1, 1, w)).float()
    windows = window_partition(region.view(1, t, h, w, 1), window_size).squeeze(-1)  # nW, N
    differs = windows.unsqueeze(1) != windows.unsqueeze(2)
    return torch.zeros(differs.shape, device=device).masked_fill_(differs, SHIFT_MASK_VALUE)

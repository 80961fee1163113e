"""3-D (t, h, w) window multi-head self-attention with a relative-position bias, as in the IART release.

Windows are ``(wt, wh, ww)`` blocks of tokens ordered (t, h, w) row-major. Besides the attention module this
holds the helpers that cut a channel-last clip into windows and back, and the mask of shifted windows.
"""
from functools import lru_cache

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model.weight_init import trunc_normal_


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
    """One index tensor per window size for every module (the release's checkpoints also store it once): it is
    constant, and IART's 72 blocks would otherwise hold 72 copies (20 MB). Loading a checkpoint writes the same
    values into it again."""
    return relative_position_index(window_size)


@lru_cache(maxsize=16)
def _shift_mask_cpu(size, window_size, shift_size):
    t, h, w = size
    img_mask = torch.zeros((1, t, h, w, 1))
    region = 0
    for ts in _regions(window_size[0], shift_size[0]):
        for hs in _regions(window_size[1], shift_size[1]):
            for ws in _regions(window_size[2], shift_size[2]):
                img_mask[:, ts, hs, ws, :] = region
                region += 1
    windows = window_partition(img_mask, window_size).squeeze(-1)  # nW, N
    diff = windows.unsqueeze(1) - windows.unsqueeze(2)
    return diff.masked_fill(diff != 0, -100.0).masked_fill(diff == 0, 0.0)


def _regions(window, shift):
    # Region ids along one axis: [0, L-ws), [L-ws, L-shift), [L-shift, L); shift 0 means one region.
    if shift == 0:
        return (slice(None), )
    return slice(0, -window), slice(-window, -shift), slice(-shift, None)


def shift_window_mask(size, window_size, shift_size, device):
    """Additive mask (num_windows, N, N) of -100 between tokens from different shifted regions, else 0.

    ``size`` is the padded (t, h, w) of the clip.
    """
    return _shift_mask_cpu(tuple(size), tuple(window_size), tuple(shift_size)).to(device)


class WindowAttention3D(nn.Module):
    """Window multi-head self-attention with a learned relative-position bias.

    Args:
        dim (int): Channels C.
        window_size (tuple[int]): (wt, wh, ww).
        num_heads (int): Heads; C must be divisible by it.
        qkv_bias (bool): Bias in the qkv projection. Default: True.

    State: ``relative_position_bias_table`` ((2wt-1)(2wh-1)(2ww-1), heads), the buffer
    ``relative_position_index`` (N, N) int64 (one tensor shared by all modules of a window size: do not modify
    it in place), ``qkv`` Linear(C, 3C), ``proj`` Linear(C, C).
    """

    def __init__(self, dim, window_size, num_heads, qkv_bias=True):
        super().__init__()
        self.dim = dim
        self.window_size = tuple(window_size)
        self.num_heads = num_heads
        self.scale = (dim // num_heads)**-0.5
        wt, wh, ww = self.window_size
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * wt - 1) * (2 * wh - 1) * (2 * ww - 1), num_heads))
        self.register_buffer('relative_position_index', shared_relative_position_index(self.window_size))
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        trunc_normal_(self.relative_position_bias_table, std=.02)

    def relative_position_bias(self, n):
        """The learned bias as (heads, n, n)."""
        bias = self.relative_position_bias_table[self.relative_position_index[:n, :n].reshape(-1)]
        return bias.reshape(n, n, -1).permute(2, 0, 1)

    def forward(self, x, mask=None):
        """x: (b * nW, N, C) windows; mask: (nW, N, N) additive or None. Returns (b * nW, N, C)."""
        bw, n, c = x.shape
        qkv = self.qkv(x).reshape(bw, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # bw, heads, N, d
        bias = self.relative_position_bias(n).unsqueeze(0)  # 1, heads, N, N
        if mask is not None:
            # Windows of one clip share the (nW, heads, N, N) additive term; group the batch so it broadcasts.
            # (4-D keeps SDPA on its fused CPU kernel: windows x heads folded into one axis).
            nw = mask.shape[0]
            q, k, v = (y.reshape(bw // nw, nw * self.num_heads, n, -1) for y in (q, k, v))
            bias = (bias + mask.unsqueeze(1)).reshape(1, nw * self.num_heads, n, n)
        # Fused attention: softmax(q k^T * scale + bias) v without keeping the logits in Python-level temps.
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype), scale=self.scale)
        return self.proj(out.reshape(bw, self.num_heads, n, -1).transpose(1, 2).reshape(bw, n, c))

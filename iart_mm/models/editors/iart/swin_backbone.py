"""The per-branch window-attention Swin backbone of IART (the release's ``SwinIRFM`` in its used path).

It fuses a 3-frame stack ``[aligned n-1, current, aligned n-2]`` (n, t, C, h, w) into one refined current
feature (n, C, h, w): LayerNorm, residual Swin groups (RSTB) of 3-D window attention, LayerNorm, a 3x3 conv on
the centre frame, plus the centre frame. Key names follow the release (``patch_embed.norm``,
``layers.{i}.residual_group.blocks.{j}``, ``layers.{i}.conv``, ``norm``, ``conv_after_body``); the release's
never-used ``conv_first``, ``conv_first_feat`` and ``conv_before_upsample`` are left out
(docs/release_differences.md, 'Unused modules').

This file is the model as written, for training, export and reading. No-grad inference of
``IAPSRTRecurrentNet`` runs the same function through :mod:`.inference`, which reads these modules' weights.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmengine.model.weight_init import trunc_normal_

from .windows import (pad_clip, shared_relative_position_index, shift_window_mask, window_padding,
                      window_partition, window_reverse)


def window_attention(q, k, v, mask, scale):
    """softmax(scale * q k^T + mask) v.

    Args:
        q, k, v (Tensor): (B, heads, N, d).
        mask (Tensor): additive, broadcastable to (B, heads, N, N).
        scale (float): logit scale.

    Returns:
        Tensor: (B, heads, N, d).
    """
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask.to(q.dtype), scale=scale)


class DropPath(nn.Module):
    """Stochastic depth per sample (identity in eval or with p = 0)."""

    def __init__(self, drop_prob=0.):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        if self.drop_prob == 0. or not self.training:
            return x
        keep = 1 - self.drop_prob
        mask = x.new_empty((x.shape[0], ) + (1, ) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep


class Mlp(nn.Module):
    """Linear(C, hidden) - exact GELU - Linear(hidden, C)."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


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

    def relative_position_bias(self):
        """The learned bias as (heads, N, N)."""
        n = self.relative_position_index.shape[0]
        bias = self.relative_position_bias_table[self.relative_position_index.reshape(-1)]
        return bias.view(n, n, -1).permute(2, 0, 1)

    def forward(self, x, mask=None):
        """x: (b * nW, N, C) windows; mask: (nW, N, N) additive shift mask or None. Returns (b * nW, N, C)."""
        bw, n, c = x.shape
        heads = self.num_heads
        q, k, v = self.qkv(x).view(bw, n, 3, heads, c // heads).permute(2, 0, 3, 1, 4)  # each bw, heads, N, d
        bias = self.relative_position_bias().unsqueeze(0)  # 1, heads, N, N
        if mask is not None:
            # the windows of every clip share the (nW, heads, N, N) term: fold windows x heads into one axis so
            # it broadcasts over the clips
            nw = mask.shape[0]
            q, k, v = (y.reshape(bw // nw, nw * heads, n, -1) for y in (q, k, v))
            bias = (bias + mask.unsqueeze(1)).reshape(1, nw * heads, n, n)
        out = window_attention(q, k, v, bias, self.scale)
        return self.proj(out.reshape(bw, heads, n, -1).transpose(1, 2).reshape(bw, n, c))


class SwinBlock3D(nn.Module):
    """Pre-norm Swin block on a channel-last clip (b, t, h, w, C): ``x + Attn(LN x)``, then ``x + MLP(LN x)``.

    The normalised clip is zero-padded at the end to multiples of the window (padded tokens are not masked, as
    in the release). A shifted block rolls by ``-shift`` before attention and back afterwards.
    """

    def __init__(self, dim, num_heads, window_size, shift_size, mlp_ratio=2., drop_path=0.):
        super().__init__()
        self.window_size = tuple(window_size)
        self.shift_size = tuple(shift_size)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention3D(dim, self.window_size, num_heads)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        """x: (b, t, h, w, C) -> (b, t, h, w, C)."""
        x = x + self.drop_path(self.shifted_window_attention(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))

    def shifted_window_attention(self, x):
        """Pad, roll, attend per window, unroll, crop: (b, t, h, w, C) -> (b, t, h, w, C)."""
        b, t, h, w, c = x.shape
        x = pad_clip(x, window_padding((t, h, w), self.window_size))
        padded = x.shape[1:4]
        shifted = any(self.shift_size)
        mask = None
        if shifted:
            x = torch.roll(x, shifts=tuple(-s for s in self.shift_size), dims=(1, 2, 3))
            mask = shift_window_mask(padded, self.window_size, self.shift_size, x.device)
        windows = self.attn(window_partition(x, self.window_size), mask)
        x = window_reverse(windows, self.window_size, b, *padded)
        if shifted:
            x = torch.roll(x, shifts=self.shift_size, dims=(1, 2, 3))
        return x[:, :t, :h, :w]


class ResidualSwinGroup(nn.Module):
    """RSTB: Swin blocks (alternating plain / shifted windows), a per-frame 3x3 conv, plus the group input.

    Key layout: ``residual_group.blocks.{j}.*`` and ``conv.*``. With ``use_checkpoint`` each block is
    recomputed in backward (non-reentrant ``torch.utils.checkpoint``, DDP-safe) while training.
    """

    def __init__(self, dim, depth, num_heads, window_size, mlp_ratio, drop_path, use_checkpoint):
        super().__init__()
        # The release also shifts t by the full temporal window, an identity roll; its mask then has one
        # region along t. Kept, so that the windows match the release exactly.
        shift = (window_size[0], ) + tuple(s // 2 for s in window_size[1:])
        self.residual_group = nn.Module()
        self.residual_group.blocks = nn.ModuleList([
            SwinBlock3D(dim, num_heads, window_size, (0, 0, 0) if j % 2 == 0 else shift, mlp_ratio,
                        drop_path[j]) for j in range(depth)
        ])
        self.conv = nn.Conv2d(dim, dim, 3, 1, 1)
        self.use_checkpoint = use_checkpoint

    def forward(self, x):
        """x: (b, t, h, w, C) -> (b, t, h, w, C)."""
        y = x
        for blk in self.residual_group.blocks:
            y = cp.checkpoint(blk, y, use_reentrant=False) if self.use_checkpoint and self.training else blk(y)
        b, t, h, w, c = y.shape
        y = self.conv(y.reshape(b * t, h, w, c).permute(0, 3, 1, 2))
        return y.permute(0, 2, 3, 1).reshape(b, t, h, w, c) + x


class WindowSwinBackbone(nn.Module):
    """Fuses a frame stack (n, t, C, h, w) into the refined centre frame (n, C, h, w).

    Args:
        embed_dim (int): Channels C of the features.
        depths (Sequence[int]): Blocks per residual group.
        num_heads (Sequence[int]): Heads per group.
        window_size (Sequence[int]): (wt, wh, ww), tuple or list.
        mlp_ratio (float): MLP hidden width / C.
        drop_path_rate (float): Stochastic depth, linear from 0 over all blocks.
        use_checkpoint (bool): Per-block gradient checkpointing in training.
    """

    def __init__(self,
                 embed_dim=120,
                 depths=(6, 6, 6),
                 num_heads=(6, 6, 6),
                 window_size=(3, 8, 8),
                 mlp_ratio=2.,
                 drop_path_rate=0.1,
                 use_checkpoint=True):
        super().__init__()
        window_size = tuple(int(s) for s in window_size)
        if len(window_size) != 3:
            raise ValueError(f'window_size must be (t, h, w), got {window_size}')
        self.patch_embed = nn.Module()
        self.patch_embed.norm = nn.LayerNorm(embed_dim)
        dpr = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        self.layers = nn.ModuleList()
        start = 0
        for depth, heads in zip(depths, num_heads):
            self.layers.append(
                ResidualSwinGroup(embed_dim, depth, heads, window_size, mlp_ratio, dpr[start:start + depth],
                                  use_checkpoint))
            start += depth
        self.norm = nn.LayerNorm(embed_dim)
        self.conv_after_body = nn.Conv2d(embed_dim, embed_dim, 3, 1, 1)
        self.apply(_init_weights)

    def forward(self, x):
        """x: (n, t, C, h, w) -> (n, C, h, w), the centre frame ``x[:, t // 2]`` refined."""
        centre = x.shape[1] // 2
        feats = self.patch_embed.norm(x.permute(0, 1, 3, 4, 2))  # n, t, h, w, C
        for layer in self.layers:
            feats = layer(feats)
        feats = self.norm(feats[:, centre])  # n, h, w, C
        return self.conv_after_body(feats.permute(0, 3, 1, 2)) + x[:, centre]


def _init_weights(m):
    if isinstance(m, nn.Linear):
        trunc_normal_(m.weight, std=.02)
        if m.bias is not None:
            nn.init.constant_(m.bias, 0)
    elif isinstance(m, nn.LayerNorm):
        nn.init.constant_(m.bias, 0)
        nn.init.constant_(m.weight, 1.0)

"""Literal re-implementation of the released IART ``ImplicitWarpModule`` (plain torch).

This is the *baseline*: it keeps the release's memory layout on purpose (a C-times repeated int64 gather index,
repeated position bias, (n, h*w*ws^2, C) window tensors, positions in the feature dtype) so that the benchmark
measures what the release costs, and the tests have an independent oracle.

Differences from the release, none of which changes a number in fp32:
- the PE grid is created on the input's device instead of the hard-coded ``'cuda'``
  (docs/release_differences.md, 'Implicit alignment');
- ``zero_padding_bug=False`` lets the tests compare against a fixed ``'zero'`` mode (column test with w-1).
"""
import math

import torch
from torch import nn


def sine_pe_points(offsets, num_feats, temperature, normalizer):
    """Interleaved sin/cos encoding of 2-D points, y first then x (the release's recipe).

    Args:
        offsets (Tensor): (..., 2) as (y, x).
        num_feats (int): features per axis (pe_dim / 2).
        temperature (float): PE temperature.
        normalizer (float): the points are divided by it and multiplied by 2*pi.

    Returns:
        Tensor: (..., 2 * num_feats).
    """
    scale = 2 * math.pi
    dim_t = torch.arange(num_feats, dtype=torch.float32, device=offsets.device)
    dim_t = temperature**(2 * torch.div(dim_t, 2, rounding_mode='floor') / num_feats)
    embeds = []
    for axis in (0, 1):
        embed = offsets[..., axis] / normalizer * scale
        pos = embed[..., None] / dim_t
        pos = torch.stack((pos[..., 0::2].sin(), pos[..., 1::2].cos()), dim=-1).flatten(-2)
        embeds.append(pos)
    return torch.cat(embeds, dim=-1)


class ReferenceImplicitWarp(nn.Module):
    """The released module's math and memory layout, with the release's constructor."""

    def __init__(self,
                 dim,
                 pe_wrp=True,
                 pe_x=True,
                 pe_dim=48,
                 pe_temp=10000,
                 warp_padding='duplicate',
                 num_heads=8,
                 window_size=2,
                 qkv_bias=True,
                 qk_scale=None,
                 zero_padding_bug=True,
                 **unused):
        super().__init__()
        self.dim = dim
        self.pe_wrp = pe_wrp
        self.pe_x = pe_x
        self.pe_dim = pe_dim
        self.pe_temp = pe_temp
        self.warp_padding = warp_padding
        self.num_heads = num_heads
        self.window_size = window_size
        self.zero_padding_bug = zero_padding_bug
        head_dim = dim // num_heads
        self.scale = qk_scale or head_dim**-0.5
        ws = window_size
        ys, xs = torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing='ij')
        window_idx_offset = torch.stack((ys.flatten(), xs.flatten()), dim=1)  # (ws^2, 2) as (dy, dx)
        self.register_buffer(
            'position_bias',
            sine_pe_points(window_idx_offset.float(), pe_dim // 2, pe_temp, (ws - 1) + 1e-6)[None])
        self.register_buffer('window_idx_offset', window_idx_offset)
        self.q = nn.Linear(pe_dim, dim, bias=qkv_bias)
        self.k = nn.Linear(pe_dim, dim, bias=qkv_bias)
        self.v = nn.Linear(pe_dim, dim, bias=qkv_bias)

    def forward(self, y, x, flow):
        """y: neighbour (n,C,h,w); x: current (n,C,h,w); flow: (n,h,w,2) as (dx, dy)."""
        n, c, h, w = x.shape
        ws2 = self.window_size**2
        grid_y, grid_x = torch.meshgrid(
            torch.arange(h, dtype=x.dtype, device=x.device),
            torch.arange(w, dtype=x.dtype, device=x.device),
            indexing='ij')
        grid = torch.stack((grid_y, grid_x), dim=2)  # (h, w, 2) as (y, x)
        grid_wrp = grid[None] + flow.flip(-1).to(x.dtype)  # (n, h, w, 2) as (y, x), in the feature dtype
        grid_flr = torch.floor(grid_wrp).int()
        grid_off = grid_wrp - grid_flr
        grid_flr = grid_flr.reshape(n, h * w, 1, 2) + self.window_idx_offset  # (n, hw, ws2, 2)
        grid_off = grid_off.reshape(n, h * w, 2)

        tiles = self.pe_dim // c
        y = y.repeat(1, tiles, 1, 1) if tiles > 1 else y
        x = x.repeat(1, tiles, 1, 1) if tiles > 1 else x
        cp = y.shape[1]
        if self.warp_padding == 'duplicate':
            row = grid_flr[..., 0].clamp(0, h - 1)
            col = grid_flr[..., 1].clamp(0, w - 1)
            lin_idx = (row * w + col).reshape(n, h * w * ws2).long()
            # the release's C-times repeated int64 index
            wrp = torch.gather(y.reshape(n, cp, h * w), 2, lin_idx.unsqueeze(1).repeat(1, cp, 1))
        else:
            col_max = h - 1 if self.zero_padding_bug else w - 1
            inside = ((grid_flr[..., 0] >= 0) & (grid_flr[..., 0] <= h - 1) & (grid_flr[..., 1] >= 0)
                      & (grid_flr[..., 1] <= col_max))
            row = grid_flr[..., 0].clamp(0, h - 1)
            col = grid_flr[..., 1].clamp(0, w - 1)
            lin_idx = (row * w + col).reshape(n, h * w * ws2).long()
            wrp = torch.gather(y.reshape(n, cp, h * w), 2, lin_idx.unsqueeze(1).repeat(1, cp, 1))
            wrp = wrp * inside.reshape(n, 1, h * w * ws2).to(wrp.dtype)
        # each intermediate keeps its own name, as in the release, so the same tensors are live at the peak
        # (tokens, tokens + PE, the repeated bias, K, V, x, x + PE, Q, scaled Q)
        tokens = wrp.permute(0, 2, 1).reshape(n * h * w, ws2, cp)
        del wrp
        if self.pe_wrp:
            bias_rep = self.position_bias.repeat(n, h * w, 1).reshape(n * h * w, ws2, cp)
            tokens_pe = tokens + bias_rep
        else:
            tokens_pe = tokens

        x_rows = x.flatten(2).permute(0, 2, 1)  # (n, hw, cp)
        if self.pe_x:
            x_pe = x_rows + sine_pe_points(grid_off, self.pe_dim // 2, self.pe_temp, self.window_size + 1e-6)
        else:
            x_pe = x_rows
        x_pe = x_pe.reshape(n * h * w, 1, cp)

        nh, hd = self.num_heads, self.dim // self.num_heads
        q = self.q(x_pe).reshape(-1, 1, nh, hd).permute(0, 2, 1, 3)
        k = self.k(tokens_pe).reshape(-1, ws2, nh, hd).permute(0, 2, 1, 3)
        v = self.v(tokens_pe).reshape(-1, ws2, nh, hd).permute(0, 2, 1, 3)
        q_scaled = q * self.scale
        attn = q_scaled @ k.transpose(-2, -1)
        attn = attn.softmax(dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(n, h * w, self.dim)
        return out.permute(0, 2, 1).reshape(n, self.dim, h, w)


def reference_from_fixture(fixture, **overrides):
    """Build the reference from a fixture's ``config`` and load its ``state_dict``."""
    cfg = dict(fixture['config'])
    cfg.update(overrides)
    module = ReferenceImplicitWarp(**cfg)
    module.load_state_dict(fixture['state_dict'])
    return module

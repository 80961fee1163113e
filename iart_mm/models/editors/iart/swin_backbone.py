"""The per-branch window-attention Swin backbone of IART (the release's ``SwinIRFM`` in its used path).

It fuses a 3-frame stack ``[aligned n-1, current, aligned n-2]`` (n, t, C, h, w) into one refined current
feature (n, C, h, w): LayerNorm, residual Swin groups (RSTB) of 3-D window attention, LayerNorm, a 3x3 conv on
the centre frame, plus the centre frame. Key names follow the release (``patch_embed.norm``,
``layers.{i}.residual_group.blocks.{j}``, ``layers.{i}.conv``, ``norm``, ``conv_after_body``); the release's
never-used ``conv_first``, ``conv_first_feat`` and ``conv_before_upsample`` are left out.
"""
import functools

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from mmengine.model.weight_init import trunc_normal_

from ....utils.compile_fallback import is_compiling
from .cpu_linear import linear
from .fused_window_attention import fused_shifted_window_attention
from .no_grad_swin_block import swin_blocks_no_grad
from .window_attention import WindowAttention3D


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
        if torch.is_grad_enabled():
            return self.fc2(self.act(self.fc1(x)))
        return linear(self.fc2, linear(self.fc1, x, gelu=True))  # fused GELU on CPU


class SwinBlock3D(nn.Module):
    """Pre-norm Swin block on a channel-last clip (b, t, h, w, C): ``x + Attn(LN x)``, then ``x + MLP(LN x)``.

    The clip is zero-padded at the end to multiples of the window (padded tokens are not masked, as in the
    release). A shifted block rolls by ``-shift`` before attention and back afterwards.
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

    def _attention(self, x):
        """(shifted) window attention of LN1(x) for x (b, t, h, w, c), through the fused SDPA path."""
        return fused_shifted_window_attention(self.attn, self.norm1(x), self.shift_size)

    def _lean(self):
        # inference: chunked and in place (no_grad_swin_block), unless drop-path could fire; torch.compile traces
        # the out-of-place blocks instead (plain tensor ops it can fuse)
        return (not torch.is_grad_enabled() and (not self.training or self.drop_path.drop_prob == 0.)
                and not is_compiling())

    def forward(self, x):
        """x: (b, t, h, w, C) -> (b, t, h, w, C)."""
        if self._lean():
            return swin_blocks_no_grad([self], x)
        x = x + self.drop_path(self._attention(x))
        return x + self.drop_path(self.mlp(self.norm2(x)))

    def forward_frame(self, x, frame):
        """The output of one frame only, x: (b, t, h, w, C) -> (b, h, w, C) (= ``forward(x)[:, frame]``).

        Attention still reads keys and values from all frames; the other frames' queries and MLP are skipped.
        """
        if self._lean():
            return swin_blocks_no_grad([self], x, query_frame=frame)
        y = x[:, frame] + self.drop_path(
            fused_shifted_window_attention(self.attn, self.norm1(x), self.shift_size, query_frame=frame))
        return y + self.drop_path(self.mlp(self.norm2(y)))


class ResidualSwinGroup(nn.Module):
    """RSTB: Swin blocks (alternating plain / shifted windows), a per-frame 3x3 conv, plus the group input.

    Key layout: ``residual_group.blocks.{j}.*`` and ``conv.*``. With ``use_checkpoint`` each block is
    recomputed in backward (non-reentrant ``torch.utils.checkpoint``, DDP-safe) while training only.
    """

    def __init__(self, dim, depth, num_heads, window_size, mlp_ratio, drop_path, use_checkpoint):
        super().__init__()
        shift = tuple(s // 2 for s in window_size[1:])
        # The release shifts t by the full temporal window, which is an identity roll: keep it (no-op) so that
        # the windows match the release exactly.
        shift = (window_size[0], ) + shift
        self.residual_group = nn.Module()
        self.residual_group.blocks = nn.ModuleList([
            SwinBlock3D(dim, num_heads, window_size, (0, 0, 0) if j % 2 == 0 else shift, mlp_ratio,
                        drop_path[j]) for j in range(depth)
        ])
        self.conv = nn.Conv2d(dim, dim, 3, 1, 1)
        self.use_checkpoint = use_checkpoint

    def _blocks(self, x, frame):
        """The blocks one call each (with autograd, checkpointed in training); the last one on ``frame`` only."""
        blocks = self.residual_group.blocks
        for i, blk in enumerate(blocks):
            fn = functools.partial(blk.forward_frame, frame=frame) if frame is not None and i == len(blocks) - 1 \
                else blk
            if self.use_checkpoint and self.training and torch.is_grad_enabled():
                x = cp.checkpoint(fn, x, use_reentrant=False)
            else:
                x = fn(x)
        return x

    def forward(self, x, frame=None):
        """x: (b, t, h, w, C) -> (b, t, h, w, C), or the (b, h, w, C) output of ``frame`` alone (its last block
        and conv then skip the other frames, whose outputs would be discarded)."""
        blocks = self.residual_group.blocks
        if all(blk._lean() for blk in blocks):
            # inference: the whole group in window order, one row gather between blocks
            y = swin_blocks_no_grad(blocks, x, frame)
        else:
            y = self._blocks(x, frame)
        if frame is not None:
            return self.conv(y.permute(0, 3, 1, 2)).permute(0, 2, 3, 1) + x[:, frame]
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
        x_center = x[:, centre]
        feats = self.patch_embed.norm(x.permute(0, 1, 3, 4, 2))  # n, t, h, w, C
        for layer in self.layers[:-1]:
            feats = layer(feats)
        # only the centre frame leaves the backbone: the last group computes it alone
        feats = self.norm(self.layers[-1](feats, frame=centre))  # n, h, w, C
        return self.conv_after_body(feats.permute(0, 3, 1, 2)) + x_center


def _init_weights(m):
    if isinstance(m, nn.Linear):
        trunc_normal_(m.weight, std=.02)
        if m.bias is not None:
            nn.init.constant_(m.bias, 0)
    elif isinstance(m, nn.LayerNorm):
        nn.init.constant_(m.bias, 0)
        nn.init.constant_(m.weight, 1.0)

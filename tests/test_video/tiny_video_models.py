"""Test-only generators with the VSR contract (n, t, 3, h, w) in [0, 1] -> (n, t, 3, 4h, 4w).

- ``PointwiseUpsampler`` has no spatial or temporal context at all, so tiling it must be exact.
- ``TinyRecurrentVSR``: a cheap stand-in with bidirectional recurrence (so temporal chunking matters), a few
  MFLOPs per frame; also the stand-in of ``tools/benchmarks/bench_video_memory.py``.
- ``HookedVSR`` is ``TinyRecurrentVSR`` with a hook run at a chosen call (the first call is the warm-up) and a
  chosen point of that call, to deliver Ctrl-C or advance a fake clock at a deterministic moment instead of
  racing a timer.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class PointwiseUpsampler(nn.Module):
    """Per-pixel colour map then nearest x4: output pixels depend on one input pixel only."""

    def forward(self, lrs):
        n, t, c, h, w = lrs.shape
        out = torch.sigmoid(3 * lrs - 1).reshape(n * t, c, h, w)
        return F.interpolate(out, scale_factor=4, mode='nearest').reshape(n, t, c, 4 * h, 4 * w)


class TinyRecurrentVSR(nn.Module):
    """(n, t, 3, h, w) in [0, 1] -> (n, t, 3, 4h, 4w): backward then forward recurrence over t (3x3 convs,
    no alignment) and a pixel-shuffle residual on a bilinear x4 base. Not a model for real use."""

    def __init__(self, channels=4, min_size=None):
        super().__init__()
        self.channels = channels
        self.min_size = min_size  # when set, smaller inputs fail like SPyNet-based models do
        self.backward_cell = nn.Conv2d(3 + channels, channels, 3, padding=1)
        self.forward_cell = nn.Conv2d(3 + channels, channels, 3, padding=1)
        self.to_rgb = nn.Conv2d(2 * channels, 3 * 16, 3, padding=1)

    def forward(self, lrs):
        n, t, _, h, w = lrs.shape
        if self.min_size is not None and (h < self.min_size or w < self.min_size):
            raise ValueError(f'input {h}x{w} is below the minimum {self.min_size}')
        state = lrs.new_zeros(n, self.channels, h, w)
        backward = [None] * t
        for i in range(t - 1, -1, -1):
            state = torch.tanh(self.backward_cell(torch.cat([lrs[:, i], state], 1)))
            backward[i] = state
        state = torch.zeros_like(state)
        outs = []
        for i in range(t):
            state = torch.tanh(self.forward_cell(torch.cat([lrs[:, i], state], 1)))
            residual = F.pixel_shuffle(self.to_rgb(torch.cat([backward[i], state], 1)), 4)
            base = F.interpolate(lrs[:, i], scale_factor=4, mode='bilinear', align_corners=False)
            outs.append(base + 0.1 * residual)
        return torch.stack(outs, 1)


class HookedVSR(TinyRecurrentVSR):
    """``hook(call, lrs, where)`` runs on every call (1 = warm-up), with ``where`` 'start' before any work
    and 'middle' after the backward recurrence, i.e. inside the forward pass."""

    def __init__(self, hook):
        super().__init__()
        self.hook = hook
        self.calls = 0

    def forward(self, lrs):
        self.calls += 1
        self.hook(self.calls, lrs, 'start')
        n, t, _, h, w = lrs.shape
        state = lrs.new_zeros(n, self.channels, h, w)
        backward = [None] * t
        for i in range(t - 1, -1, -1):
            state = torch.tanh(self.backward_cell(torch.cat([lrs[:, i], state], 1)))
            backward[i] = state
        self.hook(self.calls, lrs, 'middle')
        state = torch.zeros_like(state)
        outs = []
        for i in range(t):
            state = torch.tanh(self.forward_cell(torch.cat([lrs[:, i], state], 1)))
            residual = F.pixel_shuffle(self.to_rgb(torch.cat([backward[i], state], 1)), 4)
            base = F.interpolate(lrs[:, i], scale_factor=4, mode='bilinear', align_corners=False)
            outs.append(base + 0.1 * residual)
        return torch.stack(outs, 1)

"""Test-only generators.

- ``PointwiseUpsampler`` has no spatial or temporal context at all, so tiling it must be exact.
- ``HookedVSR`` is the recurrent stand-in ``TinyRecurrentVSR`` with a hook run at a chosen call (the first
  call is the warm-up) and a chosen point of that call, to deliver Ctrl-C or advance a fake clock at a
  deterministic moment instead of racing a timer.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from iart_mm.video.synthetic import TinyRecurrentVSR


class PointwiseUpsampler(nn.Module):
    """Per-pixel colour map then nearest x4: output pixels depend on one input pixel only."""

    def forward(self, lrs):
        n, t, c, h, w = lrs.shape
        out = torch.sigmoid(3 * lrs - 1).reshape(n * t, c, h, w)
        return F.interpolate(out, scale_factor=4, mode='nearest').reshape(n, t, c, 4 * h, 4 * w)


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

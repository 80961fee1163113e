"""Test-only generator: ``PointwiseUpsampler`` has no spatial or temporal context at all, so tiling it
must be exact. (The recurrent stand-in ``TinyRecurrentVSR`` is in :mod:`iart_mm.video.synthetic`.)"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class PointwiseUpsampler(nn.Module):
    """Per-pixel colour map then nearest x4: output pixels depend on one input pixel only."""

    def forward(self, lrs):
        n, t, c, h, w = lrs.shape
        out = torch.sigmoid(3 * lrs - 1).reshape(n * t, c, h, w)
        return F.interpolate(out, scale_factor=4, mode='nearest').reshape(n, t, c, 4 * h, 4 * w)

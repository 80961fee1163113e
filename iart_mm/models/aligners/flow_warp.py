"""Explicit-resampling baselines: ``NoAlign``, ``FlowWarp`` (nearest/bilinear/bicubic) and ``PatchAlign``.

All three are parameter-free and follow the aligner contract; the warps reuse MMagic's ``flow_warp``
(``grid_sample`` with zeros padding and align_corners=True at (x + dx, y + dy)), as the paper's ablation does.
"""
import torch.nn.functional as F
from mmagic.models.utils import flow_warp
from mmagic.registry import MODELS
from torch import nn

from .contract import check_aligner_inputs, positive_int

INTERPOLATIONS = ('nearest', 'bilinear', 'bicubic')


@MODELS.register_module()
class NoAlign(nn.Module):
    """Returns the neighbour feature unwarped (the paper's "NA")."""

    def forward(self, feat_neighbor, feat_current, flow):
        """(n, c, h, w), (n, c, h, w), (n, 2, h, w) -> (n, c, h, w); ignores the flow."""
        check_aligner_inputs('NoAlign', feat_neighbor, feat_current, flow)
        return feat_neighbor


@MODELS.register_module()
class FlowWarp(nn.Module):
    """Backward warp of the neighbour feature by the flow, zeros padding, align_corners=True.

    Args:
        mode (str): ``'nearest'``, ``'bilinear'`` or ``'bicubic'``.
    """

    def __init__(self, mode='bilinear'):
        super().__init__()
        if mode not in INTERPOLATIONS:
            raise ValueError(f'FlowWarp: mode must be one of {INTERPOLATIONS}, got {mode!r}')
        self.mode = mode

    def extra_repr(self):
        return f'mode={self.mode!r}'

    def forward(self, feat_neighbor, feat_current, flow):
        """(n, c, h, w), (n, c, h, w), (n, 2, h, w) -> (n, c, h, w)."""
        check_aligner_inputs('FlowWarp', feat_neighbor, feat_current, flow)
        return flow_warp(feat_neighbor, flow.permute(0, 2, 3, 1), interpolation=self.mode)


def patch_mean_flow(flow, patch_size):
    """Flow averaged over non-overlapping patches and broadcast back (PSRT patch alignment).

    The flow is reflect-padded to a multiple of the patch (replicate when the frame is too small to reflect).
    """
    h, w = flow.shape[-2:]
    pad_h, pad_w = (-h) % patch_size, (-w) % patch_size
    if pad_h or pad_w:
        mode = 'reflect' if pad_h < h and pad_w < w else 'replicate'
        flow = F.pad(flow, (0, pad_w, 0, pad_h), mode=mode)
    flow = F.avg_pool2d(flow, patch_size)
    return F.interpolate(flow, scale_factor=patch_size, mode='nearest')[..., :h, :w]


@MODELS.register_module()
class PatchAlign(nn.Module):
    """Patch alignment ("PA", from PSRT): one mean flow per patch, then a nearest warp.

    Args:
        patch_size (int): side of the square patches (8 in PSRT and the paper).
    """

    def __init__(self, patch_size=8):
        super().__init__()
        positive_int('PatchAlign', 'patch_size', patch_size)
        self.patch_size = patch_size

    def extra_repr(self):
        return f'patch_size={self.patch_size}'

    def forward(self, feat_neighbor, feat_current, flow):
        """(n, c, h, w), (n, c, h, w), (n, 2, h, w) -> (n, c, h, w)."""
        check_aligner_inputs('PatchAlign', feat_neighbor, feat_current, flow)
        flow = patch_mean_flow(flow, self.patch_size)
        return flow_warp(feat_neighbor, flow.permute(0, 2, 3, 1), interpolation='nearest')

"""Test-only reference aligner: MMagic's own ``flow_warp`` (bilinear, zeros padding, align_corners=True).

With it, an aligner-enabled network must reproduce its MMagic parent exactly, which checks that the
re-expressed propagation loops (flow indices, mirror handling, fusion order) are the parent's.
"""
import torch.nn as nn
from mmagic.models.utils import flow_warp


class BilinearFlowWarpReference(nn.Module):
    """aligner(feat_neighbor (n,c,h,w), feat_current (n,c,h,w), flow (n,2,h,w)) -> flow_warp(feat_neighbor)."""

    def forward(self, feat_neighbor, feat_current, flow):
        return flow_warp(feat_neighbor, flow.permute(0, 2, 3, 1))


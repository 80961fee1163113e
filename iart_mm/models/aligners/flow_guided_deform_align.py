"""``FlowGuidedDeformAlign`` (FGDC): BasicVSR++-style first-order flow-guided modulated deformable conv."""
import torch
from mmagic.models.utils import flow_warp
from mmagic.registry import MODELS
from mmcv.ops import ModulatedDeformConv2d, modulated_deform_conv2d
from mmengine.model import constant_init
from torch import nn

from .contract import check_aligner_inputs, positive_int


@MODELS.register_module()
class FlowGuidedDeformAlign(ModulatedDeformConv2d):
    """Flow-guided deformable alignment, first order (the paper's "FGDC" baseline).

    The offset network sees cat[bilinear-warped neighbour, current, flow] (2C+2 channels); the offsets are
    ``max_residue_magnitude * tanh(residue) + flow`` (as (dy, dx) per kernel tap) and the mask a sigmoid; the
    3x3 modulated deformable conv then samples the *unwarped* neighbour.

    Args:
        dim (int): feature channels C (input and output).
        deform_groups (int): deformable groups; must divide ``dim``.
        max_residue_magnitude (float): bound of the learned offset residue.
    """

    def __init__(self, dim, deform_groups=6, max_residue_magnitude=10):
        positive_int('FlowGuidedDeformAlign', 'dim', dim)
        positive_int('FlowGuidedDeformAlign', 'deform_groups', deform_groups)
        if dim % deform_groups:
            raise ValueError(f'FlowGuidedDeformAlign: deform_groups={deform_groups} must divide dim={dim}')
        super().__init__(dim, dim, 3, padding=1, deform_groups=deform_groups)
        self.dim = dim
        self.max_residue_magnitude = max_residue_magnitude
        self.conv_offset = nn.Sequential(
            nn.Conv2d(2 * dim + 2, dim, 3, 1, 1),
            nn.LeakyReLU(negative_slope=0.1, inplace=True),
            nn.Conv2d(dim, dim, 3, 1, 1),
            nn.LeakyReLU(negative_slope=0.1, inplace=True),
            nn.Conv2d(dim, dim, 3, 1, 1),
            nn.LeakyReLU(negative_slope=0.1, inplace=True),
            nn.Conv2d(dim, 27 * deform_groups, 3, 1, 1),
        )
        # zero residue at start: the module begins as a flow-guided (deformable) warp
        constant_init(self.conv_offset[-1], val=0, bias=0)

    def forward(self, feat_neighbor, feat_current, flow):
        """(n, C, h, w), (n, C, h, w), (n, 2, h, w) -> (n, C, h, w)."""
        check_aligner_inputs('FlowGuidedDeformAlign', feat_neighbor, feat_current, flow, self.dim)
        warped = flow_warp(feat_neighbor, flow.permute(0, 2, 3, 1))
        out = self.conv_offset(torch.cat([warped, feat_current, flow.to(warped.dtype)], dim=1))
        o1, o2, mask = torch.chunk(out, 3, dim=1)
        offset = self.max_residue_magnitude * torch.tanh(torch.cat((o1, o2), dim=1))
        offset = offset + flow.flip(1).repeat(1, offset.size(1) // 2, 1, 1)
        return modulated_deform_conv2d(feat_neighbor, offset, torch.sigmoid(mask), self.weight, self.bias,
                                       self.stride, self.padding, self.dilation, self.groups, self.deform_groups)

"""``FlowGuidedDeformAttention`` (FGDA): RVRT-style guided deformable attention, written in PyTorch.

RVRT's ``GuidedDeformAttnPack`` with clip size 1: flow-guided offsets (``max_residue_magnitude * tanh + flow``)
place a 3x3 set of sampling points per pixel and per group; keys and values are bilinearly sampled there
(``grid_sample``, zeros padding, align_corners=True) and each head attends over its points. q, k and v are
projected to ``proj_ratio * dim`` channels, the result is projected back to ``dim`` and refined by a residual
GEGLU MLP. Keys come from the neighbour (RVRT), not from the current frame (the ablation code's slip:
docs/release_differences.md, "The alignment ablation").
"""
import torch
import torch.nn.functional as F
from mmagic.models.utils import flow_warp
from mmagic.registry import MODELS
from mmengine.model import constant_init
from torch import nn

from .contract import check_aligner_inputs, positive_int


class GEGLU(nn.Module):
    """1x1-conv GEGLU MLP: fc2(GELU(fc11 x) * fc12 x), as RVRT's ``Mlp_GEGLU``."""

    def __init__(self, channels, hidden):
        super().__init__()
        self.fc11 = nn.Conv2d(channels, hidden, 1)
        self.fc12 = nn.Conv2d(channels, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc11(x)) * self.fc12(x))


def kernel_tap_offsets(kernel_size, device):
    """(K, 2) integer (dy, dx) displacements of a kernel_size x kernel_size window around its centre."""
    r = torch.arange(kernel_size, device=device, dtype=torch.float32) - (kernel_size - 1) / 2
    ys, xs = torch.meshgrid(r, r, indexing='ij')
    return torch.stack((ys.flatten(), xs.flatten()), dim=1)


@MODELS.register_module()
class FlowGuidedDeformAttention(nn.Module):
    """Flow-guided deformable attention (the paper's "FGDA" baseline).

    Args:
        dim (int): feature channels C (input and output).
        num_heads (int): heads = deformable groups; must divide ``proj_ratio * dim``.
        kernel_size (int): sampling points per head form a kernel_size^2 grid before the offsets.
        max_residue_magnitude (float): bound of the learned offset residue.
        proj_ratio (int): q/k/v are projected to ``proj_ratio * dim`` channels (RVRT: 2).
        offset_channels (int): width of the offset network (RVRT: 64).
        mlp_ratio (int): hidden width of the GEGLU MLP, times ``dim`` (RVRT: 2).
    """

    def __init__(self, dim, num_heads=12, kernel_size=3, max_residue_magnitude=10, proj_ratio=2,
                 offset_channels=64, mlp_ratio=2):
        super().__init__()
        for arg, value in (('dim', dim), ('num_heads', num_heads), ('kernel_size', kernel_size),
                           ('proj_ratio', proj_ratio), ('offset_channels', offset_channels),
                           ('mlp_ratio', mlp_ratio)):
            positive_int('FlowGuidedDeformAttention', arg, value)
        proj = proj_ratio * dim
        if proj % num_heads:
            raise ValueError(f'FlowGuidedDeformAttention: num_heads={num_heads} must divide '
                             f'proj_ratio*dim={proj}')
        self.dim, self.num_heads, self.kernel_size = dim, num_heads, kernel_size
        self.max_residue_magnitude = max_residue_magnitude
        self.num_points = kernel_size**2
        self.conv_offset = nn.Sequential(
            nn.Conv2d(2 * dim + 2, offset_channels, 1),
            nn.LeakyReLU(negative_slope=0.1, inplace=True),
            nn.Conv2d(offset_channels, offset_channels, 3, 1, 1),
            nn.LeakyReLU(negative_slope=0.1, inplace=True),
            nn.Conv2d(offset_channels, offset_channels, 3, 1, 1),
            nn.LeakyReLU(negative_slope=0.1, inplace=True),
            nn.Conv2d(offset_channels, num_heads * self.num_points * 2, 1),
        )
        constant_init(self.conv_offset[-1], val=0, bias=0)
        self.proj_q = nn.Conv2d(dim, proj, 1)
        self.proj_kv = nn.Conv2d(dim, 2 * proj, 1)
        self.proj = nn.Conv2d(proj, dim, 1)
        self.mlp = GEGLU(dim, mlp_ratio * dim)

    def _sampling_grid(self, offset, h, w):
        """Offsets (n, G*K*2, h, w) as (dy, dx) -> grid_sample grid (n*G, h*w, K, 2) in [-1, 1] (x, y)."""
        n = offset.shape[0]
        g, k = self.num_heads, self.num_points
        offset = offset.view(n, g, k, 2, h, w).permute(0, 1, 4, 5, 2, 3).float()  # (n, G, h, w, K, 2)
        rows = torch.arange(h, device=offset.device, dtype=torch.float32).view(h, 1, 1)
        cols = torch.arange(w, device=offset.device, dtype=torch.float32).view(1, w, 1)
        taps = kernel_tap_offsets(self.kernel_size, offset.device)
        y = rows + taps[:, 0] + offset[..., 0]
        x = cols + taps[:, 1] + offset[..., 1]
        grid = torch.stack((2 * x / max(w - 1, 1) - 1, 2 * y / max(h - 1, 1) - 1), dim=-1)
        return grid.reshape(n * g, h * w, k, 2)

    def forward(self, feat_neighbor, feat_current, flow):
        """(n, C, h, w), (n, C, h, w), (n, 2, h, w) -> (n, C, h, w)."""
        check_aligner_inputs('FlowGuidedDeformAttention', feat_neighbor, feat_current, flow, self.dim)
        n, _, h, w = feat_current.shape
        g, k = self.num_heads, self.num_points
        warped = flow_warp(feat_neighbor, flow.permute(0, 2, 3, 1))
        residue = self.conv_offset(torch.cat([feat_current, warped, flow.to(warped.dtype)], dim=1))
        offset = self.max_residue_magnitude * torch.tanh(residue) + flow.flip(1).repeat(1, g * k, 1, 1)

        q = self.proj_q(feat_current)
        cg = q.shape[1] // g
        kv = self.proj_kv(feat_neighbor).view(n, 2, g, cg, h, w).transpose(1, 2).reshape(n * g, 2 * cg, h, w)
        grid = self._sampling_grid(offset, h, w).to(kv.dtype)
        sampled = F.grid_sample(kv, grid, mode='bilinear', padding_mode='zeros', align_corners=True)
        keys, values = sampled.split(cg, dim=1)  # each (n*G, cg, h*w, K)
        q = q.reshape(n * g, cg, h * w, 1) * cg**-0.5
        attn = (q * keys).sum(1, keepdim=True).softmax(dim=-1)  # (n*G, 1, h*w, K)
        out = (attn * values).sum(-1).view(n, g * cg, h, w)
        out = self.proj(out)
        return out + self.mlp(out)

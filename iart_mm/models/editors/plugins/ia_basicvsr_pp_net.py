"""IABasicVSRPlusPlusNet: BasicVSR++ with a pluggable aligner in its second-order propagation.

Two modes (``align_mode``):

* ``'complement'`` (default): BasicVSR++'s flow-guided deformable alignment (``deform_align``) is kept, but the
  two conditions it predicts its offsets from, ``cond_n1`` / ``cond_n2`` (the 1st/2nd-order neighbours in the
  current frame's geometry), come from the aligner instead of bilinear ``flow_warp``. The state dict is
  BasicVSR++'s plus ``aligner.*``, so an MMagic BasicVSR++ checkpoint loads with only the aligner's keys new.
* ``'replace'``: ``deform_align`` is removed. As in IART, the aligner aligns the 1st- and 2nd-order propagated
  features itself; a 3x3 conv per branch (``align_fusion.<branch>``, 2C -> C, standing where the deformable
  conv stood) merges the two aligned features.

The current-frame query is BasicVSR++'s own spatial feature (``feat_extract``), so no query layer is added.
The 2nd-order flow is composed as in BasicVSR++: ``flow_n2 = flow_n1 + flow_warp(flow_prev, flow_n1)``.
"""
import torch
import torch.nn as nn
from mmagic.models.editors.basicvsr_plusplus_net.basicvsr_plusplus_net import BasicVSRPlusPlusNet
from mmagic.models.utils import flow_warp
from mmagic.registry import MODELS

from ..ia_basicvsr.aligner_support import build_aligner

ALIGN_MODES = ('complement', 'replace')
_BRANCHES = ('backward_1', 'forward_1', 'backward_2', 'forward_2')


@MODELS.register_module()
class IABasicVSRPlusPlusNet(BasicVSRPlusPlusNet):
    """BasicVSR++ whose alignment uses ``aligner`` (see the module docstring for the two modes).

    Args:
        mid_channels, num_blocks, max_residue_magnitude, is_low_res_input, spynet_pretrained,
            cpu_cache_length: as BasicVSRPlusPlusNet.
        aligner (dict | None): aligner config; its channel argument is filled with ``mid_channels``.
            Default: ``dict(type='ImplicitWarp', num_heads=4)``.
        align_mode (str): 'complement' or 'replace'. Default: 'complement'.
    """

    def __init__(self, mid_channels=64, num_blocks=7, max_residue_magnitude=10, is_low_res_input=True,
                 spynet_pretrained=None, cpu_cache_length=100, aligner=None, align_mode='complement'):
        if align_mode not in ALIGN_MODES:
            raise ValueError(f'align_mode must be one of {ALIGN_MODES}, got {align_mode!r}')
        super().__init__(mid_channels=mid_channels, num_blocks=num_blocks,
                         max_residue_magnitude=max_residue_magnitude, is_low_res_input=is_low_res_input,
                         spynet_pretrained=spynet_pretrained, cpu_cache_length=cpu_cache_length)
        self.align_mode = align_mode
        self.aligner = build_aligner(aligner or dict(type='ImplicitWarp', num_heads=4), mid_channels)
        if align_mode == 'replace':
            del self.deform_align
            self.align_fusion = nn.ModuleDict(
                {b: nn.Conv2d(2 * mid_channels, mid_channels, 3, 1, 1) for b in _BRANCHES})

    def _to_compute(self, x):
        # cpu_cache (set by the parent's forward only for CUDA input) keeps features on the CPU between steps
        return x.cuda() if self.cpu_cache else x

    def _aligned_prop(self, module_name, feat_current, feat_n1, flow_n1, feat_n2, flow_n2):
        """Aligned propagated feature (n, C, h, w) from the 1st/2nd-order neighbours (feat_n2 None: none yet)."""
        cond_n1 = self.aligner(feat_n1, feat_current, flow_n1)
        if feat_n2 is None:
            feat_n2 = torch.zeros_like(feat_n1)
            flow_n2 = torch.zeros_like(flow_n1)
            cond_n2 = torch.zeros_like(cond_n1)
        else:
            cond_n2 = self.aligner(feat_n2, feat_current, flow_n2)
        if self.align_mode == 'replace':
            return self.align_fusion[module_name](torch.cat([cond_n1, cond_n2], dim=1))
        cond = torch.cat([cond_n1, feat_current, cond_n2], dim=1)
        return self.deform_align[module_name](torch.cat([feat_n1, feat_n2], dim=1), cond, flow_n1, flow_n2)

    def propagate(self, feats, flows, module_name):
        """Propagate one branch; same inputs/outputs as BasicVSRPlusPlusNet.propagate.

        Args:
            feats (dict[str, list[Tensor]]): 'spatial' and earlier branches, each a list of (n, C, h, w).
            flows (Tensor): (n, t-1, 2, h, w), current -> previously visited frame, pixels (dx, dy).
            module_name (str): 'backward_1', 'forward_1', 'backward_2' or 'forward_2'.

        Returns:
            dict[str, list[Tensor]]: ``feats`` with ``feats[module_name]`` filled in time order.
        """
        n, t, _, h, w = flows.size()
        frame_idx = list(range(t + 1))
        flow_idx = list(range(-1, t))
        mapping_idx = list(range(len(feats['spatial'])))
        mapping_idx += mapping_idx[::-1]
        if 'backward' in module_name:
            frame_idx = frame_idx[::-1]
            flow_idx = frame_idx

        feat_prop = flows.new_zeros(n, self.mid_channels, h, w)
        for i, idx in enumerate(frame_idx):
            feat_current = self._to_compute(feats['spatial'][mapping_idx[idx]])
            feat_prop = self._to_compute(feat_prop)
            if i > 0:
                flow_n1 = self._to_compute(flows[:, flow_idx[i]])
                feat_n2 = flow_n2 = None
                if i > 1:
                    feat_n2 = self._to_compute(feats[module_name][-2])
                    flow_prev = self._to_compute(flows[:, flow_idx[i - 1]])
                    flow_n2 = flow_n1 + flow_warp(flow_prev, flow_n1.permute(0, 2, 3, 1))
                feat_prop = self._aligned_prop(module_name, feat_current, feat_prop, flow_n1, feat_n2, flow_n2)

            feat = [feat_current] + [feats[k][idx] for k in feats if k not in ('spatial', module_name)]
            feat = torch.cat([self._to_compute(f) for f in feat] + [feat_prop], dim=1)
            feat_prop = feat_prop + self.backbone[module_name](feat)
            feats[module_name].append(feat_prop.cpu() if self.cpu_cache else feat_prop)
            if self.cpu_cache:
                torch.cuda.empty_cache()

        if 'backward' in module_name:
            feats[module_name] = feats[module_name][::-1]
        return feats

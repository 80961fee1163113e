"""IAIconVSRNet: MMagic's IconVSRNet with a pluggable aligner in place of ``flow_warp``.

IconVSR = BasicVSR + information-refill (EDVR-M features fused in at keyframes) + coupled propagation (the
forward branch also reads the backward features). Both are kept as MMagic has them; only the warping of the
propagated feature is replaced by ``aligner(feat_prop, query, flow)``. As for IABasicVSRNet the new keys are
``aligner.*`` and ``feat_query.conv.*`` (the current-frame query), so an IconVSR checkpoint loads otherwise.
"""
import torch
from mmagic.models.editors.iconvsr.iconvsr_net import IconVSRNet
from mmagic.registry import MODELS

from ..ia_basicvsr.aligner_support import FrameQuery, build_aligner


@MODELS.register_module()
class IAIconVSRNet(IconVSRNet):
    """IconVSR with a pluggable aligner. x4 only; input h, w >= 64 (SPyNet), t >= 2 * padding + 1.

    Args:
        mid_channels, num_blocks, keyframe_stride, padding, spynet_pretrained, edvr_pretrained: as IconVSRNet.
        aligner (dict | None): aligner config; its channel argument is filled with ``mid_channels``.
            Default: ``dict(type='ImplicitWarp', num_heads=4)``.
    """

    def __init__(self, mid_channels=64, num_blocks=30, keyframe_stride=5, padding=2, spynet_pretrained=None,
                 edvr_pretrained=None, aligner=None):
        super().__init__(mid_channels=mid_channels, num_blocks=num_blocks, keyframe_stride=keyframe_stride,
                         padding=padding, spynet_pretrained=spynet_pretrained, edvr_pretrained=edvr_pretrained)
        self.feat_query = FrameQuery(3, mid_channels)
        self.aligner = build_aligner(aligner or dict(type='ImplicitWarp', num_heads=4), mid_channels)

    def forward(self, lrs):
        """lrs (n, t, 3, h, w) RGB in [0, 1] -> (n, t, 3, 4h, 4w)."""
        n, t, _, h_input, w_input = lrs.shape
        self.check_if_mirror_extended(lrs)
        lrs = self.spatial_padding(lrs)
        h, w = lrs.shape[-2:]

        keyframe_idx = list(range(0, t, self.keyframe_stride))
        if keyframe_idx[-1] != t - 1:
            keyframe_idx.append(t - 1)  # the last frame must be a keyframe
        flows_forward, flows_backward = self.compute_flow(lrs)
        if flows_forward is None:
            flows_forward = flows_backward.flip(1)
        feats_refill = self.compute_refill_features(lrs, keyframe_idx)
        queries = self.feat_query(lrs)

        # backward branch: frame i + 1 -> i, flows_backward[:, i] maps frame i to i + 1
        feats_backward = [None] * t
        feat_prop = lrs.new_zeros(n, self.mid_channels, h, w)
        for i in range(t - 1, -1, -1):
            if i < t - 1:
                feat_prop = self.aligner(feat_prop, queries[:, i], flows_backward[:, i])
            if i in keyframe_idx:
                feat_prop = self.backward_fusion(torch.cat([feat_prop, feats_refill[i]], dim=1))
            feat_prop = self.backward_resblocks(torch.cat([lrs[:, i], feat_prop], dim=1))
            feats_backward[i] = feat_prop

        # forward branch (coupled with the backward features) and upsampling
        outputs = []
        feat_prop = torch.zeros_like(feat_prop)
        for i in range(t):
            if i > 0:
                feat_prop = self.aligner(feat_prop, queries[:, i], flows_forward[:, i - 1])
            if i in keyframe_idx:
                feat_prop = self.forward_fusion(torch.cat([feat_prop, feats_refill[i]], dim=1))
            feat_prop = self.forward_resblocks(torch.cat([lrs[:, i], feats_backward[i], feat_prop], dim=1))
            out = self.lrelu(self.upsample1(feat_prop))
            out = self.lrelu(self.upsample2(out))
            out = self.lrelu(self.conv_hr(out))
            outputs.append(self.conv_last(out) + self.img_upsample(lrs[:, i]))
        # EDVR's PCD needs multiples of 4, so the clip was padded; crop the padding off the output
        return torch.stack(outputs, dim=1)[..., :4 * h_input, :4 * w_input]

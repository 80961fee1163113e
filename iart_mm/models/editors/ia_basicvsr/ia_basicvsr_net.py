"""IABasicVSRNet: MMagic's BasicVSRNet with a pluggable aligner in place of ``flow_warp`` (the paper's IA-CNN).

Everything of BasicVSRNet is kept (SPyNet, the two propagation branches, the upsampler), so its state-dict
keys are unchanged and an MMagic (or converted BasicSR) BasicVSR checkpoint loads into this network. The only
new keys are

* ``aligner.*``: the aligner's own parameters/buffers (ImplicitWarp at 64 channels: q/k/v ``Linear(64, 64)``
  = 12,480 parameters plus its ``position_bias`` / ``window_idx_offset`` buffers);
* ``feat_query.conv.{weight,bias}``: a 3x3 conv of the LR frame (1,792 parameters at 64 channels) that gives the
  aligner its per-pixel query, since BasicVSR has no feature of the current frame before propagation.

One aligner is shared by both directions, as IART shares one implicit_warp across its four branches.
"""
from logging import WARNING

import torch
from mmagic.models.editors.basicvsr.basicvsr_net import BasicVSRNet
from mmagic.registry import MODELS
from mmengine import print_log

from .aligner_support import FrameQuery, build_aligner

#: state-dict key prefixes that IABasicVSRNet adds to BasicVSRNet.
IA_BASICVSR_NEW_KEY_PREFIXES = ('aligner.', 'feat_query.')

_DEFAULT_ALIGNER = dict(type='ImplicitWarp', num_heads=4)


@MODELS.register_module()
class IABasicVSRNet(BasicVSRNet):
    """BasicVSR whose propagated feature is aligned by ``aligner`` instead of bilinear flow warping.

    Supports x4 upsampling only, like BasicVSRNet.

    Args:
        mid_channels (int): feature channels. Default: 64.
        num_blocks (int): residual blocks per propagation branch. Default: 30.
        spynet_pretrained (str | None): SPyNet checkpoint (path or URL). Default: None.
        aligner (dict): aligner config; its channel argument (``dim`` ...) is filled with ``mid_channels``.
            Default: ``dict(type='ImplicitWarp', num_heads=4)`` (16 channels per head at 64 channels).
    """

    def __init__(self, mid_channels=64, num_blocks=30, spynet_pretrained=None, aligner=None):
        super().__init__(mid_channels=mid_channels, num_blocks=num_blocks, spynet_pretrained=spynet_pretrained)
        self.feat_query = FrameQuery(3, mid_channels)
        self.aligner = build_aligner(aligner if aligner is not None else _DEFAULT_ALIGNER, mid_channels)

    def _warn_if_small(self, h, w):
        if (h < 64 or w < 64) and not self._raised_warning:
            print_log(f'{self.__class__.__name__} is designed for input of at least 64x64 (SPyNet), '
                      f'got {h}x{w}.', 'current', WARNING)
            self._raised_warning = True

    def flows_for_propagation(self, lrs):
        """Return (flows_forward, flows_backward), each (n, t-1, 2, h, w), current -> neighbour, pixels.

        ``flows_backward[:, i]`` maps frame i to frame i+1; ``flows_forward[:, i]`` maps frame i+1 to frame i.
        A mirror-extended clip reuses the backward flows (BasicVSRNet's shortcut).
        """
        self.check_if_mirror_extended(lrs)
        flows_forward, flows_backward = self.compute_flow(lrs)
        if flows_forward is None:
            flows_forward = flows_backward.flip(1)
        return flows_forward, flows_backward

    def propagate(self, lrs, queries, flows, resblocks, backward):
        """Run one recurrent branch.

        Args:
            lrs (Tensor): (n, t, 3, h, w) LR frames.
            queries (Tensor): (n, t, mid_channels, h, w) current-frame features for the aligner.
            flows (Tensor): (n, t-1, 2, h, w); for ``backward`` flows[:, i] maps frame i -> i+1, else
                flows[:, i] maps frame i+1 -> i.
            resblocks (nn.Module): the branch's ResidualBlocksWithInputConv.
            backward (bool): visit frames t-1 ... 0 instead of 0 ... t-1.

        Returns:
            list[Tensor]: t features (n, mid_channels, h, w) in time order.
        """
        n, t, _, h, w = lrs.shape
        order = range(t - 1, -1, -1) if backward else range(t)
        feats = [None] * t
        feat_prop = lrs.new_zeros(n, self.mid_channels, h, w)
        for step, i in enumerate(order):
            if step > 0:  # the first visited frame has nothing to align
                flow = flows[:, i] if backward else flows[:, i - 1]
                feat_prop = self.aligner(feat_prop, queries[:, i], flow)
            feat_prop = resblocks(torch.cat([lrs[:, i], feat_prop], dim=1))
            feats[i] = feat_prop
        return feats

    def reconstruct(self, lr, feat_backward, feat_forward):
        """Fuse both branches of one frame and upsample: -> (n, 3, 4h, 4w)."""
        out = self.lrelu(self.fusion(torch.cat([feat_backward, feat_forward], dim=1)))
        out = self.lrelu(self.upsample1(out))
        out = self.lrelu(self.upsample2(out))
        out = self.lrelu(self.conv_hr(out))
        return self.conv_last(out) + self.img_upsample(lr)

    def forward(self, lrs):
        """lrs (n, t, 3, h, w) RGB in [0, 1], h, w >= 64 -> (n, t, 3, 4h, 4w)."""
        self._warn_if_small(*lrs.shape[-2:])
        flows_forward, flows_backward = self.flows_for_propagation(lrs)
        queries = self.feat_query(lrs)
        feats_backward = self.propagate(lrs, queries, flows_backward, self.backward_resblocks, backward=True)
        feats_forward = self.propagate(lrs, queries, flows_forward, self.forward_resblocks, backward=False)
        outputs = [self.reconstruct(lrs[:, i], fb, ff)
                   for i, (fb, ff) in enumerate(zip(feats_backward, feats_forward))]
        return torch.stack(outputs, dim=1)

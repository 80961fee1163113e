"""The networks cut into the pieces an ONNX graph is composed of: a clip-level *prep* module and one *step*
module per recurrent branch, which becomes the body of an ONNX ``Scan`` over the frames.

The graph therefore holds each branch once, whatever the number of frames T; T, H and W stay dynamic.
Every step runs the network's own sub-modules (weights shared with it) through the export-friendly operations
of :mod:`.plain_ops`. A step sees one frame (time axis removed): tensors are (n, c, h, w), float32. The first
visited frame of a branch has no neighbour to align: the step count ``k`` (a (1,) state) switches the aligned
features to what the network uses there (zeros, or the current feature for IART), by an exact 0/1 blend.

Flows are padded to T entries in *frame* order: ``flows_b[:, i]`` maps frame i -> i+1 (zero for the last
frame), ``flows_f[:, i]`` maps frame i -> i-1 (zero for the first), so a branch step reads the flow of the frame
it visits.
"""
import torch
import torch.nn as nn

from . import plain_ops as P


def _has_prev(count):
    """(1,) bool: the branch has visited a frame before this one."""
    return count > 0.5


def _has_prev2(count):
    """(1,) bool: the branch has visited two frames before this one."""
    return count > 1.5


def _blend(on, x, y):
    """``x`` where ``on`` (a (1,) bool) holds, ``y`` elsewhere; exact for finite x, y."""
    on = on.to(x.dtype)
    return x * on + y * (1 - on)


def padded_flows(spynet, lrs, flow=P.spynet_flow):
    """(n, t, 2, h, w) flows_b and flows_f of a clip (n, t, 3, h, w), padded with one zero flow (see module).

    ``flow(spynet, ref, supp)`` estimates the flows: the export-friendly form by default; the parity check
    passes the network's own SPyNet call.
    """
    n, t, c, h, w = lrs.shape
    first = lrs[:, :-1].reshape(-1, c, h, w)
    second = lrs[:, 1:].reshape(-1, c, h, w)
    flows_b = flow(spynet, first, second).view(n, t - 1, 2, h, w)
    flows_f = flow(spynet, second, first).view(n, t - 1, 2, h, w)
    zero = lrs.new_zeros(n, 1, 2, h, w)
    return torch.cat([flows_b, zero], 1), torch.cat([zero, flows_f], 1)


class BasicVSRPrep(nn.Module):
    """Clip-level part of BasicVSRNet / IABasicVSRNet.

    forward(lrs (n, t, 3, h, w)) -> lrs, flows_b, flows_f (n, t, 2, h, w), queries (n, t, C, h, w), the zero
    initial feature (n, C, h, w) and the zero step count (1,). For plain BasicVSR the queries are unused zeros
    of one channel.
    """

    def __init__(self, net, cleaner=None):
        super().__init__()
        self.net = net
        self.cleaner = cleaner

    def forward(self, lrs):
        if self.cleaner is not None:
            lrs = self.cleaner(lrs)
        n, t, _, h, w = lrs.shape
        flows_b, flows_f = padded_flows(self.net.spynet, lrs)
        if hasattr(self.net, 'feat_query'):
            queries = self.net.feat_query(lrs)
        else:
            queries = lrs.new_zeros(n, t, 1, h, w)
        return (lrs, flows_b, flows_f, queries, lrs.new_zeros(n, self.net.mid_channels, h, w),
                lrs.new_zeros(1))


class BasicVSRStep(nn.Module):
    """One frame of a BasicVSR propagation branch (the forward branch also reconstructs the HR frame).

    forward(feat_prop, count, lr, flow, query[, feat_backward]) -> feat, count + 1, feat (scan output) or the
    (n, 3, 4h, 4w) HR frame for the forward branch.
    """

    def __init__(self, net, backward):
        super().__init__()
        self.net = net
        self.backward = backward
        self.resblocks = net.backward_resblocks if backward else net.forward_resblocks

    def _align(self, feat_prop, query, flow):
        aligner = getattr(self.net, 'aligner', None)
        if aligner is None:  # BasicVSRNet: bilinear flow warp
            return P.flow_warp(feat_prop, flow)
        return P.align(aligner, feat_prop, query, flow)

    def forward(self, feat_prop, count, lr, flow, query, feat_backward=None):
        aligned = _blend(_has_prev(count), self._align(feat_prop, query, flow), torch.zeros_like(feat_prop))
        feat = self.resblocks(torch.cat([lr, aligned], dim=1))
        if self.backward:
            return feat, count + 1, feat.clone()
        return feat, count + 1, reconstruct_basicvsr(self.net, lr, feat_backward, feat)


def reconstruct_basicvsr(net, lr, feat_backward, feat_forward):
    """BasicVSR's fusion and x4 upsampler for one frame -> (n, 3, 4h, 4w)."""
    out = net.lrelu(net.fusion(torch.cat([feat_backward, feat_forward], dim=1)))
    out = net.lrelu(net.upsample1(out))
    out = net.lrelu(net.upsample2(out))
    out = net.lrelu(net.conv_hr(out))
    return net.conv_last(out) + net.img_upsample(lr)


class RealBasicVSRCleaner(nn.Module):
    """RealBasicVSR's cleaning loop without data-dependent control flow.

    Up to three cleanings; the network stops once the mean |residue| falls below ``dynamic_refine_thres``.
    Here all three residues are computed and a later one is added only while the stopping test has failed
    (a 0/1 factor), which gives the network's result for every input.
    """

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, lqs):
        n, t, c, h, w = lqs.shape
        x = lqs.reshape(-1, c, h, w)
        go = x.new_ones(())
        for _ in range(3):
            residues = self.net.image_cleaning(x)
            x = x + residues * go
            go = go * (residues.abs().mean() >= self.net.dynamic_refine_thres).to(x.dtype)
        return x.view(n, t, c, h, w)

"""IART (``IAPSRTRecurrentNet``) cut into a prep module and one Scan step per branch (see :mod:`.stages`).

A branch step keeps the second-order state of the network (its last two outputs and the last flow) and runs
the branch's Swin backbone on ``[aligned n-1, current, aligned n-2]``. The backbone runs through the model's
own modules in the order of ``WindowSwinBackbone.forward``; only the zero padding of a block to whole windows
is applied unconditionally here (``windows.pad_clip`` skips it when nothing is missing, a Python decision on
the frame size that a trace with symbolic h and w cannot take; padding by zero is the same tensor).
The last branch also reconstructs the HR frame (the network's upsampler, untiled).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import plain_ops as P
from .stages import _blend, _has_prev, _has_prev2, padded_flows

BRANCHES = ('backward_1', 'forward_1', 'backward_2', 'forward_2')


def _block(block, x):
    """``SwinBlock3D.forward`` of ``block`` on x (b, t, h, w, C), padding unconditionally."""
    from iart_mm.models.editors.iart.windows import (shift_window_mask, window_padding, window_partition,
                                                      window_reverse)
    b, t, h, w, c = x.shape
    y = block.norm1(x)
    pad_t, pad_h, pad_w = window_padding((t, h, w), block.window_size)
    y = F.pad(y, (0, 0, 0, pad_w, 0, pad_h, 0, pad_t))
    padded = y.shape[1:4]
    shifted = any(block.shift_size)
    mask = None
    if shifted:
        y = torch.roll(y, shifts=tuple(-s for s in block.shift_size), dims=(1, 2, 3))
        mask = shift_window_mask(padded, block.window_size, block.shift_size, y.device)
    windows = block.attn(window_partition(y, block.window_size), mask)
    y = window_reverse(windows, block.window_size, b, *padded)
    if shifted:
        y = torch.roll(y, shifts=block.shift_size, dims=(1, 2, 3))
    x = x + y[:, :t, :h, :w]
    return x + block.mlp(block.norm2(x))


def backbone_forward(backbone, x):
    """``WindowSwinBackbone.forward``: (n, 3, C, h, w) -> (n, C, h, w), blocks through :func:`_block`."""
    centre = x.shape[1] // 2
    feats = backbone.patch_embed.norm(x.permute(0, 1, 3, 4, 2))
    for layer in backbone.layers:
        y = feats
        for blk in layer.residual_group.blocks:
            y = _block(blk, y)
        b, t, h, w, c = y.shape
        y = layer.conv(y.reshape(b * t, h, w, c).permute(0, 3, 1, 2))
        feats = y.permute(0, 2, 3, 1).reshape(b, t, h, w, c) + feats
    feats = backbone.norm(feats[:, centre])
    return backbone.conv_after_body(feats.permute(0, 3, 1, 2)) + x[:, centre]


class IARTPrep(nn.Module):
    """forward(lrs (n, t, 3, h, w)) -> lrs, conv_first features (n, t, C, h, w), flows_b, flows_f
    (n, t, 2, h, w, padded as in :mod:`.stages`), a zero feature (n, C, h, w), a zero flow (n, 2, h, w) and the
    zero step count (1,)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, lrs):
        n, t, c, h, w = lrs.shape
        feats = self.net.conv_first(lrs.reshape(-1, c, h, w)).view(n, t, -1, h, w)
        flows_b, flows_f = padded_flows(self.net.spynet, lrs)
        return (lrs, feats, flows_b, flows_f, lrs.new_zeros(n, self.net.embed_dim, h, w),
                lrs.new_zeros(n, 2, h, w), lrs.new_zeros(1))


class IARTStep(nn.Module):
    """One frame of one branch.

    forward(prop1, prop2, flow_prev, count, feat_cur, flow[, lr]) -> prop1', prop2', flow_prev', count + 1,
    and the branch output (n, C, h, w), or for 'forward_2' the HR frame (n, 3, 4h, 4w).
    ``prop1``/``prop2`` are the branch's outputs at the previous two visited frames, ``flow_prev`` the flow used
    at the previous one; ``flow`` maps the current frame to the previously visited one.
    """

    def __init__(self, net, branch):
        super().__init__()
        self.net = net
        self.branch = branch
        self.backbone = net.swin_backbone[branch]

    def forward(self, prop1, prop2, flow_prev, count, feat_cur, flow, lr=None):
        net = self.net
        has1, has2 = _has_prev(count), _has_prev2(count)
        cond_n1 = P.align(net.aligner, prop1, feat_cur, flow)
        flow_n2 = flow + P.flow_warp(flow_prev, flow)
        cond_n2 = P.align(net.aligner, prop2, feat_cur, flow_n2)
        # first visited frame: [cur, cur, cur]; second: [aligned n-1, cur, zeros]
        cond_n1 = _blend(has1, cond_n1, feat_cur)
        cond_n2 = _blend(has2, cond_n2, _blend(has1, torch.zeros_like(feat_cur), feat_cur))
        feat = backbone_forward(self.backbone, torch.stack([cond_n1, feat_cur, cond_n2], dim=1))
        out = feat.clone()
        if lr is not None:
            out = net.reconstruct(feat) + net.img_upsample(lr)
        return feat, prop1, flow, count + 1, out


def compose_iart(net, example):
    """The ONNX model of IAPSRTRecurrentNet traced on ``example`` (n, t, 3, h, w) -> (ModelProto, seconds)."""
    from onnx import TensorProto, helper

    from .graph import GraphComposer, clip_dims, export_piece, frame_dims
    n, t, h, w = clip_dims()
    seconds = {}
    prep = IARTPrep(net).eval()
    prep_model, seconds['prep'] = export_piece(
        prep, (example, ), ['lrs'], ['lrs_in', 'feats', 'flows_b', 'flows_f', 'zero_feat', 'zero_flow', 'count0'],
        ({1: t, 3: h, 4: w}, ))
    with torch.no_grad():
        lrs, feats, flows_b, flows_f, zero, zero_flow, count = prep(example)
    frame = frame_dims(n, h, w)
    comp = GraphComposer([helper.make_tensor_value_info('lrs', TensorProto.FLOAT, [1, 't', 3, 'h', 'w'])])
    o_lrs, o_feats, o_fb, o_ff, o_zero, o_zflow, o_count = comp.inline(prep_model, 'prep', ['lrs'])
    for branch in BRANCHES:
        backward = branch.startswith('backward')
        last = branch == 'forward_2'
        step = IARTStep(net, branch).eval()
        flows = flows_b if backward else flows_f
        # distinct example tensors: torch.export maps an output that *is* an input to the first input
        # holding that object, so one zero passed as prop1 and prop2 would make prop2' read prop2, not prop1
        args = [zero.clone(), zero.clone(), zero_flow.clone(), count, feats[:, 0], flows[:, 0]] + (
            [lrs[:, 0]] if last else [])
        names = ['prop1', 'prop2', 'flow_prev', 'count', 'feat_cur', 'flow'] + (['lr'] if last else [])
        dyn = [frame, frame, frame, None, frame, frame] + ([frame] if last else [])
        body, seconds[branch] = export_piece(step, args, names,
                                             ['prop1_next', 'prop2_next', 'flow_next', 'count_next', 'out'], dyn)
        if not last:  # the next branch's example features (any values of the right shape trace the same graph)
            feats = feats.clone()
        sequences = [o_feats, o_fb if backward else o_ff] + ([o_lrs] if last else [])
        o_feats = comp.scan(body, branch, [o_zero, o_zero, o_zflow, o_count], sequences, reverse=backward)[4]
    comp.nodes.append(helper.make_node('Identity', [o_feats], ['hr']))
    out = helper.make_tensor_value_info('hr', TensorProto.FLOAT, [1, 't', 3, 'H', 'W'])
    return comp.model([out], doc='IAPSRTRecurrentNet exported by iart_mm'), seconds

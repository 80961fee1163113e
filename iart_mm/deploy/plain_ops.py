"""Export-friendly forms of the operations the VSR networks share: the same math as the model code, written
so that a tracing exporter keeps the frame size symbolic.

The model code decides some things in Python from the frame size (SPyNet's multiple-of-32 branch,
``flow_warp``'s ``max(w - 1, 1)``, ``ImplicitWarp``'s pixel blocks); a trace would freeze those decisions to the
example's size. Here every size-dependent quantity is arithmetic on the (symbolic) size, with no branch.
Tensors are float32, channels first; flows are (n, 2, h, w) in pixels, channel 0 = dx, channel 1 = dy,
current -> neighbour.
"""
import math

import torch
import torch.nn.functional as F


def flow_warp(x, flow, padding_mode='zeros'):
    """Bilinear backward warp (``grid_sample``, align_corners=True), as MMagic's ``flow_warp``.

    Args:
        x (Tensor): (n, c, h, w) features or frames.
        flow (Tensor): (n, 2, h, w) flow in pixels (ch0 dx, ch1 dy), h, w >= 2.
        padding_mode (str): 'zeros' or 'border'.

    Returns:
        Tensor: (n, c, h, w).
    """
    h, w = x.shape[-2:]
    grid_y = torch.arange(h, device=x.device, dtype=x.dtype).view(1, h, 1)
    grid_x = torch.arange(w, device=x.device, dtype=x.dtype).view(1, 1, w)
    # frames are at least 2 pixels a side here, so (w - 1) is MMagic's max(w - 1, 1)
    gx = 2.0 * (grid_x + flow[:, 0]) / (w - 1) - 1.0
    gy = 2.0 * (grid_y + flow[:, 1]) / (h - 1) - 1.0
    grid = torch.stack((gx, gy), dim=3)
    return F.grid_sample(x, grid, mode='bilinear', padding_mode=padding_mode, align_corners=True)


def _linear_taps(in_size, out_size, align_corners, device):
    """Source indices (i0, i1) and weights (l0, l1) of 1-D linear interpolation, computed as PyTorch's CPU
    kernel does (float32 scale and source coordinate, clamped at 0, i1 = i0 + 1 inside the input)."""
    dst = torch.arange(out_size, device=device, dtype=torch.float32)
    if align_corners:
        scale = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        src = dst * scale
    else:
        src = ((dst + 0.5) * (in_size / out_size) - 0.5).clamp(min=0)
    i0 = src.to(torch.int64)
    lam1 = src - i0.to(torch.float32)
    i1 = torch.minimum(i0 + 1, torch.full_like(i0, 1) * (in_size - 1))
    return i0, i1, 1.0 - lam1, lam1


def resize_bilinear(x, size, align_corners=False):
    """``F.interpolate(x, size, mode='bilinear')`` for (n, c, h, w) as gathers and weighted sums.

    ONNX ``Resize`` in ONNX Runtime differs from PyTorch by up to ~6e-6 on [0, 1] data (its own coordinate
    arithmetic), which SPyNet's six levels amplify to ~2e-4 px of flow; this form repeats PyTorch's order of
    operations (along w, then along h) and matches it to float32 rounding.
    """
    h, w = x.shape[-2:]
    out_h, out_w = size
    w0, w1, lw0, lw1 = _linear_taps(w, out_w, align_corners, x.device)
    rows = x.index_select(3, w0) * lw0 + x.index_select(3, w1) * lw1
    h0, h1, lh0, lh1 = _linear_taps(h, out_h, align_corners, x.device)
    return rows.index_select(2, h0) * lh0[:, None] + rows.index_select(2, h1) * lh1[:, None]


def spynet_flow(spynet, ref, supp):
    """MMagic ``SPyNet.forward``: flow from ``ref`` to ``supp``, both (n, 3, h, w) RGB in [0, 1] -> (n, 2, h, w).

    The frames are resized to the next multiples of 32 (``-(-h // 32) * 32`` equals SPyNet's branch for every
    h), the pyramid is SPyNet's, and the flow is resized back and rescaled.
    """
    h, w = ref.shape[2:4]
    h_up, w_up = (h + 31) // 32 * 32, (w + 31) // 32 * 32
    ref = resize_bilinear(ref, (h_up, w_up))
    supp = resize_bilinear(supp, (h_up, w_up))
    refs = [(ref - spynet.mean) / spynet.std]
    supps = [(supp - spynet.mean) / spynet.std]
    for _ in range(5):
        refs.append(F.avg_pool2d(refs[-1], kernel_size=2, stride=2, count_include_pad=False))
        supps.append(F.avg_pool2d(supps[-1], kernel_size=2, stride=2, count_include_pad=False))
    refs, supps = refs[::-1], supps[::-1]
    flow = None
    for level in range(len(refs)):
        if level == 0:
            # the coarsest level starts from zero flow; it is still warped by grid_sample as in SPyNet, whose
            # normalised grid does not map every pixel exactly onto itself (a shortcut differs by ~1e-7)
            flow_up = torch.zeros_like(refs[0][:, :2])
        else:
            size = (flow.shape[2] * 2, flow.shape[3] * 2)
            flow_up = resize_bilinear(flow, size, align_corners=True) * 2.0
        warped = flow_warp(supps[level], flow_up, padding_mode='border')
        flow = flow_up + spynet.basic_module[level](torch.cat([refs[level], warped, flow_up], 1))
    flow = resize_bilinear(flow, (h, w))
    scale = torch.stack([flow.new_ones(()) * w / w_up, flow.new_ones(()) * h / h_up]).view(1, 2, 1, 1)
    return flow * scale


def implicit_warp(aligner, feat_neighbor, feat_current, flow):
    """``ImplicitWarp(feat_neighbor, feat_current, flow)`` in plain gathers, matmuls and softmax.

    Every query pixel attends over the ``ws x ws`` neighbour pixels of the window its flow lands in (clamped
    to the frame, the release's 'duplicate' padding): keys and values are the neighbour features projected by
    k and v plus the projected slot encodings; the query is the current feature plus the encoding of the
    sub-pixel offset, projected by q and scaled.

    Args:
        aligner (ImplicitWarp): gives the weights and options ('duplicate' padding).
        feat_neighbor, feat_current (Tensor): (n, C, h, w).
        flow (Tensor): (n, 2, h, w).

    Returns:
        Tensor: (n, C, h, w).
    """
    from iart_mm.models.aligners.implicit_warp import sine_encoding
    if aligner.padding != 'duplicate':
        raise NotImplementedError("ONNX export supports ImplicitWarp(padding='duplicate') only")
    n, c, h, w = feat_current.shape
    heads, d = aligner.num_heads, c // aligner.num_heads
    ys = torch.arange(h, device=flow.device, dtype=flow.dtype).view(1, h, 1)
    xs = torch.arange(w, device=flow.device, dtype=flow.dtype).view(1, 1, w)
    pos = torch.stack((ys + flow[:, 1], xs + flow[:, 0]), dim=-1)  # (n, h, w, 2) as (y, x)
    shift = aligner._window_shift
    base = torch.floor(pos - shift) if shift else torch.floor(pos)
    offset = pos - base  # (n, h, w, 2)
    slots = base.to(torch.int64).reshape(n, h * w, 1, 2) + aligner.window_idx_offset  # (n, hw, S, 2)
    slot_y = slots[..., 0].clamp(0, h - 1)
    slot_x = slots[..., 1].clamp(0, w - 1)
    idx = (slot_y * w + slot_x).reshape(n, -1)  # (n, hw * S)
    s = slots.shape[2]

    def proj(linear):  # the pe_dim/dim tiled copies of the weight fold into one block sum
        return aligner._projection_weight(linear)

    nbr = feat_neighbor.reshape(n, c, h * w).transpose(1, 2)  # (n, hw, C)
    pe = aligner.position_bias[0] if aligner.pe_keys else torch.zeros_like(aligner.position_bias[0])
    k_bias, v_bias = aligner.k(pe), aligner.v(pe)  # (S, C)
    keys = torch.matmul(nbr, proj(aligner.k).t())
    values = torch.matmul(nbr, proj(aligner.v).t())
    gather = idx.unsqueeze(-1).expand(n, h * w * s, c)
    keys = torch.gather(keys, 1, gather).view(n, h * w, s, c) + k_bias
    values = torch.gather(values, 1, gather).view(n, h * w, s, c) + v_bias

    x = feat_current.reshape(n, c, h * w).transpose(1, 2)  # (n, hw, C)
    if aligner.pe_queries:
        q_pe = sine_encoding(offset.reshape(n, h * w, 2), aligner.pe_dim // 2, aligner.pe_temp,
                             aligner._query_pe_normalizer)
        if aligner.pe_dim == aligner.dim:
            q = aligner.q(x + q_pe)
        else:
            q = F.linear(x, proj(aligner.q)) + aligner.q(q_pe)
    else:
        q = F.linear(x, proj(aligner.q), aligner.q.bias)
    q = (q * aligner.scale).view(n, h * w, heads, 1, d)
    keys = keys.view(n, h * w, s, heads, d).transpose(2, 3)  # (n, hw, heads, S, d)
    values = values.view(n, h * w, s, heads, d).transpose(2, 3)
    attn = torch.softmax((q * keys).sum(-1), dim=-1)  # (n, hw, heads, S)
    out = (attn.unsqueeze(-1) * values).sum(3)  # (n, hw, heads, d)
    return out.reshape(n, h * w, c).transpose(1, 2).reshape(n, c, h, w)


def align(aligner, feat_neighbor, feat_current, flow):
    """The network's aligner in its export-friendly form (ImplicitWarp, FlowWarp bilinear or NoAlign)."""
    from iart_mm.models.aligners.flow_warp import FlowWarp, NoAlign
    from iart_mm.models.aligners.implicit_warp import ImplicitWarp
    if isinstance(aligner, ImplicitWarp):
        return implicit_warp(aligner, feat_neighbor, feat_current, flow)
    if isinstance(aligner, FlowWarp) and aligner.mode == 'bilinear':
        return flow_warp(feat_neighbor, flow)
    if isinstance(aligner, NoAlign):
        return feat_neighbor
    raise NotImplementedError(f'ONNX export does not support the aligner {type(aligner).__name__}')

"""Memory-lean, cache-blocked window cross-attention core of ``ImplicitWarp``.

Each query pixel attends over S rows of a channels-last key/value table ``kv`` (M, 2C) = [K | V], projected once
per neighbour pixel: the slot-dependent constants (projected key/value PE plus bias) are added per slot as (S, C)
tensors, because projection and gather commute. Query pixels are processed in blocks of ``chunk`` pixels whose
temporaries stay in cache. The table is read as one row per (pixel, head): a block's keys are gathered as
(B * heads, S, D) for one batched matmul, and its values are never gathered at all (``embedding_bag`` sums the
S value rows of each pixel and head weighted by the attention). Results go straight into the channels-first
output. No (P, S, C) tensor and no per-pixel copy of the window ever exists.

The backward recomputes the gathers block by block instead of saving them: grad mode keeps q, kv, the int64
index and the (P, heads, S) attention weights, and scatters the rows' gradients with one ``index_add_`` per block.
"""
import math
from typing import NamedTuple

import torch

from ...utils.device_sizes import for_device

# pixels per block: 2048 x 4 slots x 240 channels x 4 B = 7.5 MB of gathered rows on CPU (L2/L3 resident);
# on CUDA blocks only bound memory, so they are large enough to keep kernel launches rare
DEFAULT_CHUNK = {'cpu': 2048, 'other': 1 << 16}


def default_chunk(device):
    """Pixels per block for ``device``."""
    return for_device(DEFAULT_CHUNK, device)


def _accumulation_dtype(dtype):
    """float32 for half types (softmax and sums), the tensor's own dtype otherwise (float64 stays exact)."""
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype


def _softmax_last(x):
    """Softmax over a short last axis (S slots); ``Tensor.softmax`` is ~5x slower there on CPU."""
    out = x - x.amax(-1, keepdim=True)
    out.exp_()
    return out.div_(out.sum(-1, keepdim=True))


def head_block_diagonal(bias, num_heads):
    """(S, C) per-slot constants -> (C, heads * S) matrix M, M[h*D + d, h*S + s] = bias[s, h*D + d], zero across
    heads: ``q @ M`` gives the per-head dot products (B, heads, S) with every slot constant in one matmul, and
    ``attn.view(B, heads * S) @ M.t()`` the constants' share of the weighted sum (no einsum permutes)."""
    s, c = bias.shape
    d = c // num_heads
    out = bias.new_zeros(num_heads, d, num_heads, s)
    for h in range(num_heads):
        out[h, :, h, :] = bias[:, h * d:(h + 1) * d].t()
    return out.view(c, num_heads * s)


def _head_diagonal(full, num_heads):
    """Inverse of :func:`head_block_diagonal` for a (heads * S, C) gradient: its (S, C) per-head blocks."""
    hs, c = full.shape
    s, d = hs // num_heads, c // num_heads
    blocks = torch.diagonal(full.view(num_heads, s, num_heads, d), dim1=0, dim2=2)  # (S, D, heads)
    return blocks.permute(0, 2, 1).reshape(s, c)


class HeadTables(NamedTuple):
    """Key and value rows of one head each: the row of (neighbour pixel m, head h) is ``m * stride + h`` in
    ``keys`` (D,) and in ``values``. Built by :func:`head_tables` from one (M, 2C) [K | V] tensor (``values`` is
    the same storage shifted by ``heads`` rows, stride 2 * heads) or from separate (M, C) K and V (stride heads)."""
    keys: torch.Tensor
    values: torch.Tensor
    stride: int


def head_tables(kv, num_heads, work):
    """:class:`HeadTables` of ``kv`` ((M, 2C) tensor or (K, V) pair of (M, C)), in the working dtype, detached
    (the core's own backward handles their gradients, and a table without grad keeps ``embedding_bag`` on its
    lean forward-only kernel)."""
    if isinstance(kv, tuple):
        k, v = (t.detach().to(work) for t in kv)
        d = k.shape[1] // num_heads
        return HeadTables(k.view(-1, d), v.view(-1, d), num_heads)
    table = kv.detach().to(work).view(-1, kv.shape[1] // (2 * num_heads))
    return HeadTables(table, table[num_heads:], 2 * num_heads)


def block_forward(q, tables, idx, mask, k_bias, v_bias, num_heads):
    """Attention of one block of pixels (eager).

    K and V are read as rows of one head each, so that the keys of a block come out as (B * heads, S, D) for one
    batched matmul, and the values never get gathered at all: ``embedding_bag`` sums each pixel's S value rows
    weighted by the attention in one pass.

    Args:
        q (Tensor): (B, C) scaled queries, working dtype.
        tables (HeadTables): K and V rows (no bias, no PE), working dtype.
        idx (Tensor): (B, S) int64 neighbour pixels read by each slot.
        mask (Tensor | None): (B, S) 0/1 (zeros padding) or None.
        k_bias, v_bias (Tensor): (C, heads * S) :func:`head_block_diagonal` of the per-slot constants.
        num_heads (int): heads.

    Returns:
        tuple[Tensor, Tensor]: output (B, C) and attention (B, heads, S), both in the working dtype.
    """
    b, s = idx.shape
    c = q.shape[1]
    d = c // num_heads
    rows = _head_rows(idx, num_heads, tables.stride)
    keys = torch.nn.functional.embedding(rows, tables.keys)  # (B * heads, S, D)
    if mask is not None:
        keys = keys.view(b, num_heads, s, d).mul_(mask[:, None, :, None].to(keys.dtype)).view(-1, s, d)
    qh = q.view(b, num_heads, d)
    # q . (K[idx] + k_bias[s]) = q . K[idx] + q . k_bias[s]: the constants never get added to gathered rows
    # in-place addmm_: addmm would first copy its input into a fresh result
    logits = torch.bmm(keys, qh.reshape(-1, d, 1)).view(b, -1).addmm_(q, k_bias)
    attn = _softmax_last(logits.view(b, num_heads, s))
    weights = attn if mask is None else attn * mask[:, None, :].to(attn.dtype)
    out = torch.nn.functional.embedding_bag(rows, tables.values, mode='sum', per_sample_weights=weights.reshape(-1, s))
    return out.view(b, c).addmm_(attn.view(b, -1), v_bias.t()), attn


def _head_rows(idx, num_heads, stride):
    """(B * heads, S) rows of the head tables holding each slot's key and value."""
    b, s = idx.shape
    heads = torch.arange(num_heads, device=idx.device).view(1, num_heads, 1)
    return (idx[:, None, :] * stride + heads).view(b * num_heads, s)


def block_backward(q, tables, idx, mask, attn, grad_out, k_bias, v_bias, num_heads, need_q):
    """Gradients of one block (the forward's gathers are recomputed, never saved).

    Args:
        q, tables, idx, mask, k_bias, v_bias, num_heads: as in :func:`block_forward` (block-diagonal biases).
        attn (Tensor): (B, heads, S) attention weights of the forward.
        grad_out (Tensor): (B, C) gradient of the block's output.
        need_q (bool): compute the query gradient.

    Returns:
        tuple: grad_q (B, C) or None; grad_rows (B, S, 2C), the gradient of each gathered [K | V] row (masked
        slots get zeros), to be scattered with one ``index_add_`` (rows of 2C scatter ~6x faster than rows of
        D); and the (S, 2C) gradient of the [k_bias | v_bias] constants.
    """
    b, s = idx.shape
    c = q.shape[1]
    d = c // num_heads
    rows = _head_rows(idx, num_heads, tables.stride)
    values = torch.nn.functional.embedding(rows, tables.values)  # (B * heads, S, D)
    m = None if mask is None else mask[:, None, :].to(attn.dtype)  # (B, 1, S)
    go = grad_out.view(b, num_heads, d)
    qh = q.view(b, num_heads, d)
    # d attn = <grad_out, V_slot + v_bias_slot> per head
    grad_attn = torch.bmm(values, go.reshape(-1, d, 1)).view(b, num_heads, s)
    if m is not None:
        grad_attn.mul_(m)
    grad_attn = grad_attn.view(b, -1).addmm_(grad_out, v_bias).view(b, num_heads, s)
    grad_logits = attn * (grad_attn - (attn * grad_attn).sum(-1, keepdim=True))
    grad_logits_m = grad_logits if m is None else grad_logits * m
    attn_m = attn if m is None else attn * m
    grad_q = None
    if need_q:
        grad_q = torch.nn.functional.embedding_bag(rows, tables.keys, mode='sum',
                                                   per_sample_weights=grad_logits_m.reshape(-1, s))
        grad_q = grad_q.view(b, c).addmm_(grad_logits.view(b, -1), k_bias.t())
    grad_rows = q.new_empty((b, s, 2, num_heads, d))
    torch.mul(grad_logits_m.transpose(1, 2)[..., None], qh[:, None], out=grad_rows[:, :, 0])
    torch.mul(attn_m.transpose(1, 2)[..., None], go[:, None], out=grad_rows[:, :, 1])
    grad_bias = torch.cat((_head_diagonal(grad_logits.view(b, -1).t() @ q, num_heads),
                           _head_diagonal(attn.reshape(b, -1).t() @ grad_out, num_heads)), dim=1)
    return grad_q, grad_rows.view(b, s, 2 * c), grad_bias


def fused_query_block(out, x_cf, flow_cf, pixels, keys, values, weight, bias, k_bias, v_bias, dim_t, slot_offsets,
                      geometry, num_heads):
    """One block of the whole inference step, written for ``torch.compile`` to fuse (``ImplicitWarp(compile=True)``).

    Window placement, query PE, x + PE, the scaled query projection, the key/value gathers, the S-way softmax and
    the weighted sum of B query pixels of one batch element, in the plain form that Inductor turns into a few
    vectorised loops that never materialise the window index or the gathered rows (run eagerly, the same code
    would build (B, S, C) tensors: the eager path is :func:`block_forward`). Same math as the eager path, not
    the same bits (sums run in another order): results agree to float32 rounding.

    Args:
        out (Tensor): (C, B) channels-first output slice, written in place.
        x_cf (Tensor): (C, B) current-frame features, channels first.
        flow_cf (Tensor): (2, B) float32 flow (dx, dy) of the block's pixels.
        pixels (Tensor): (B,) int64 flat indices (row * w + col) of the block's pixels.
        keys, values (Tensor): (h * w, C) K and V rows of the neighbour frame (no bias, no PE).
        weight (Tensor): (C, C) query projection, transposed and multiplied by the logit scale.
        bias (Tensor | None): (C,) query bias times the scale.
        k_bias, v_bias (Tensor): (S, C) per-slot constants.
        dim_t (Tensor): (C / 4,) PE divisors of the even features.
        slot_offsets (Tensor): (S, 2) int64 (dy, dx) of each slot from the window's first cell.
        geometry (tuple): (h, w, shift, normalizer, zeros_padding): frame size, window placement shift
            (0 for 'official'), the query PE's normaliser and whether slots outside the frame read zeros.
        num_heads (int): heads.
    """
    h, w, shift, normalizer, zeros_padding = geometry
    c, b = x_cf.shape
    s = slot_offsets.shape[0]
    d = c // num_heads
    pos = torch.stack((pixels // w, pixels % w)).to(flow_cf.dtype) + flow_cf.flip(0)  # (2, B) as (y, x)
    base = torch.floor(pos - shift) if shift else torch.floor(pos)
    offset = pos - base
    slot = base.long()[:, None, :] + slot_offsets.t()[:, :, None]  # (2, S, B) as (y, x)
    slot_y, slot_x = slot[0], slot[1]
    idx = (slot_y.clamp(0, h - 1) * w + slot_x.clamp(0, w - 1)).t()  # (B, S)

    angles = (offset / normalizer * (2 * math.pi))[:, None, :] / dim_t[:, None]  # (2 axes, C / 4, B)
    pe = torch.stack((angles.sin(), angles.cos()), 2).reshape(c, b)  # channel = axis * C/2 + 2k + (0 sin, 1 cos)
    q = torch.mm((x_cf + pe).t(), weight) if bias is None else torch.addmm(bias, (x_cf + pe).t(), weight)

    keys, values = keys[idx], values[idx]  # (B, S, C), read inside the loops below
    if zeros_padding:
        inside = ((slot_y >= 0) & (slot_y < h) & (slot_x >= 0) & (slot_x < w)).t()[..., None].to(keys.dtype)
        keys, values = keys * inside, values * inside
    logits = ((keys + k_bias).view(b, s, num_heads, d) * q.view(b, 1, num_heads, d)).sum(-1)  # (B, S, heads)
    attn = torch.softmax(logits, dim=1)
    aligned = (attn[..., None] * (values + v_bias).view(b, s, num_heads, d)).sum(1)
    out.copy_(aligned.view(b, c).t())


class _Blocks:
    """Iterates (batch, first pixel, last pixel, global first, global last) blocks of ``chunk`` pixels."""

    def __init__(self, batch, hw, chunk):
        self.batch, self.hw, self.chunk = batch, hw, chunk

    def __iter__(self):
        for bi in range(self.batch):
            for p0 in range(0, self.hw, self.chunk):
                p1 = min(self.hw, p0 + self.chunk)
                yield bi, p0, p1, bi * self.hw + p0, bi * self.hw + p1


def attention_blocks(queries, kv, idx, k_bias, v_bias, mask, num_heads, batch, chunk, keep_attn=False):
    """Blocked forward over all pixels.

    Args:
        queries (Tensor | callable): (P, C) scaled queries, P = batch * hw, pixel-major per batch element; or
            ``queries(bi, p0, p1)`` giving the (p1 - p0, C) scaled queries of pixels p0:p1 of batch element bi
            (so that no (P, C) query tensor ever exists).
        kv (Tensor | tuple): (M, 2C) [K | V] rows of all neighbour pixels (no bias, no PE), or a (K, V) pair of
            (M, C) tensors (two allocations of half the size: glibc serves blocks up to 32 MB from its heap
            once such a block has been freed, so repeated calls reuse memory instead of faulting it in).
        idx (Tensor): (P, S) int64 rows of kv read by each slot of each pixel.
        k_bias, v_bias (Tensor): (S, C) per-slot constants.
        mask (Tensor | None): (P, S) 0/1 per slot (zeros padding) or None.
        num_heads (int): heads; C must be a multiple.
        batch (int): batch size n.
        chunk (int): pixels per block.
        keep_attn (bool): also return the (P, heads, S) attention weights (working dtype).

    Returns:
        Tensor | tuple: output (n, C, hw) in kv's dtype (and the attention weights if ``keep_attn``).
    """
    p, s = idx.shape
    like = kv[0] if isinstance(kv, tuple) else kv
    c = k_bias.shape[1]
    hw = p // batch
    work = _accumulation_dtype(like.dtype)
    if not callable(queries):
        q_all = queries
        queries = lambda bi, p0, p1: q_all[bi * hw + p0:bi * hw + p1]  # noqa: E731
    out = like.new_empty((batch, c, hw))
    attn_all = like.new_empty((p, num_heads, s), dtype=work) if keep_attn else None
    tables = head_tables(kv, num_heads, work)
    kb, vb = head_block_diagonal(k_bias.to(work), num_heads), head_block_diagonal(v_bias.to(work), num_heads)
    for bi, p0, p1, g0, g1 in _Blocks(batch, hw, chunk):
        q = queries(bi, p0, p1).to(work)
        with torch.autocast(like.device.type, enabled=False):  # the core accumulates in the working dtype
            o, attn = block_forward(q, tables, idx[g0:g1], None if mask is None else mask[g0:g1], kb, vb, num_heads)
        out[bi, :, p0:p1] = o.t()
        if keep_attn:
            attn_all[g0:g1] = attn
    return (out, attn_all) if keep_attn else out


class BlockedWindowAttention(torch.autograd.Function):
    """Autograd wrapper that saves no gathered tensors (they are recomputed block by block in backward)."""

    @staticmethod
    def forward(ctx, q, kv, idx, k_bias, v_bias, mask, num_heads, batch, chunk):
        out, attn = attention_blocks(q, kv, idx, k_bias, v_bias, mask, num_heads, batch, chunk, keep_attn=True)
        ctx.save_for_backward(q, kv, idx, k_bias, v_bias, mask, attn)
        ctx.num_heads, ctx.batch, ctx.chunk = num_heads, batch, chunk
        return out

    @staticmethod
    def backward(ctx, grad_out):
        q, kv, idx, k_bias, v_bias, mask, attn = ctx.saved_tensors
        heads, batch, chunk = ctx.num_heads, ctx.batch, ctx.chunk
        need_q, need_kv, _, need_kb, need_vb = ctx.needs_input_grad[:5]
        p, s = idx.shape
        c = q.shape[1]
        work = attn.dtype
        tables = head_tables(kv, heads, work)
        kb, vb = head_block_diagonal(k_bias.to(work), heads), head_block_diagonal(v_bias.to(work), heads)
        grad_q = torch.empty((p, c), dtype=work, device=q.device) if need_q else None
        grad_kv = torch.zeros(kv.shape, dtype=work, device=kv.device) if need_kv else None
        grad_bias = torch.zeros((s, 2 * c), dtype=work, device=kv.device)
        for bi, p0, p1, g0, g1 in _Blocks(batch, p // batch, chunk):
            go = grad_out[bi, :, p0:p1].t().to(work).contiguous()
            with torch.autocast(kv.device.type, enabled=False):
                gq, grad_rows, gb = block_backward(q[g0:g1].to(work), tables, idx[g0:g1],
                                                   None if mask is None else mask[g0:g1], attn[g0:g1], go, kb, vb,
                                                   heads, need_q)
            grad_bias += gb
            if need_q:
                grad_q[g0:g1] = gq
            if need_kv:
                grad_kv.index_add_(0, idx[g0:g1].reshape(-1), grad_rows.view(-1, 2 * c))

        def cast(grad, like, needed=True):
            return grad.to(like.dtype) if needed and grad is not None else None

        return (cast(grad_q, q), cast(grad_kv, kv), None, cast(grad_bias[:, :c], k_bias, need_kb),
                cast(grad_bias[:, c:], v_bias, need_vb), None, None, None, None)


def window_attention(queries, kv, idx, k_bias, v_bias, mask, num_heads, batch, chunk=None):
    """Lean window attention; see :func:`attention_blocks` for shapes. Returns (n, C, hw).

    In grad mode (when any of q, kv, k_bias, v_bias requires grad) ``queries`` must be the (P, C) tensor and
    ``kv`` the (M, 2C) tensor (its backward scatters [K | V] row gradients in one pass).
    """
    pair = isinstance(kv, tuple)
    chunk = chunk or default_chunk(kv[0].device if pair else kv.device)
    tensors = (*(kv if pair else (kv, )), k_bias, v_bias, *(() if callable(queries) else (queries, )))
    if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
        if callable(queries) or pair:
            raise ValueError('window_attention: grad mode needs the (P, C) query tensor and the (M, 2C) [K | V] '
                             'tensor, not a query function or a (K, V) pair')
        return BlockedWindowAttention.apply(queries, kv, idx, k_bias, v_bias, mask, num_heads, batch, chunk)
    return attention_blocks(queries, kv, idx, k_bias, v_bias, mask, num_heads, batch, chunk)

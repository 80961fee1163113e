"""Memory-lean window cross-attention core of ``ImplicitWarp``.

Each query pixel attends over S gathered rows of projected keys/values (rows of a channels-last (M, C) matrix).
The slot-dependent key/value constants (the projected key PE plus the bias) are added per slot, so K and V are
projected once per neighbour pixel instead of once per (pixel, slot). The S-way softmax and the weighted sum run
slot by slot on (P, C) temporaries, never building (P, S, C) tensors, and the backward recomputes the gathers
instead of saving them: grad mode keeps Q, K, V (what the projections need anyway), the int64 index and the
(S, P, heads) attention weights.
"""
import torch


def _gather_slot(table, idx, slot, mask):
    """Rows ``table[idx[slot]]`` (times the slot's 0/1 mask): a fresh (P, C) tensor.

    ``embedding`` is the fastest CPU row gather (about 3x ``index_select`` on 2 cores).
    """
    rows = torch.nn.functional.embedding(idx[slot], table)
    if mask is not None:
        rows.mul_(mask[slot, :, None].to(rows.dtype))
    return rows


def _slot_constant_dot(x, bias, num_heads, dtype):
    """Per-head dot products of (P, C) rows with each slot constant (S, C) -> (S, P, heads)."""
    p, c = x.shape
    return torch.einsum('phd,shd->sph', x.view(p, num_heads, -1).to(dtype),
                        bias.view(-1, num_heads, c // num_heads).to(dtype))


def _slot_constant_mix(weights, bias, dtype):
    """sum_s weights[s, p, h] * bias[s, h*d:(h+1)*d] -> (P, C), the slot constants' share of a weighted sum."""
    num_slots, p, num_heads = weights.shape
    return torch.einsum('sph,shd->phd', weights.to(dtype), bias.view(num_slots, num_heads, -1).to(dtype)).reshape(
        p, -1)


def _accumulation_dtype(dtype):
    """float32 for half types (softmax and sums), the tensor's own dtype otherwise (float64 stays exact)."""
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype


def _per_head_dot(a, b, num_heads):
    """(P, C) x (P, C) -> (P, heads) per-head dot products, accumulated in float32 at least; overwrites ``b``."""
    p = a.shape[0]
    return torch.mul(a, b, out=b).view(p, num_heads, -1).sum(-1, dtype=_accumulation_dtype(b.dtype))


def window_attention_forward(q, k, v, idx, k_bias, v_bias, mask, num_heads):
    """Plain forward of the core (also what ``torch.compile`` fuses).

    Args:
        q (Tensor): (P, C) queries, already scaled.
        k, v (Tensor): (M, C) projected neighbour rows (no bias, no PE).
        idx (Tensor): (S, P) int64 rows of k/v read by each slot.
        k_bias, v_bias (Tensor): (S, C) per-slot constants (projected key PE + bias).
        mask (Tensor | None): (S, P) 0/1 per slot (zeros padding) or None.
        num_heads (int): heads; C must be a multiple.

    Returns:
        tuple[Tensor, Tensor]: output (P, C) in v's dtype and attention (S, P, heads) in float32 (float64 for
        float64 inputs).
    """
    num_slots = idx.shape[0]
    p, c = q.shape
    acc_dtype = _accumulation_dtype(v.dtype)
    # q . (K[idx] + k_bias[s]) = q . K[idx] + q . k_bias[s]: the constants never get added to (P, C) rows
    # slots lead (S, P, heads): a softmax over a leading axis vectorises, one over a last axis of 4 does not
    logits = torch.stack([_per_head_dot(q, _gather_slot(k, idx, s, mask), num_heads) for s in range(num_slots)])
    logits += _slot_constant_dot(q, k_bias, num_heads, logits.dtype)
    attn = logits.softmax(dim=0)
    out = _slot_constant_mix(attn, v_bias, acc_dtype)
    for s in range(num_slots):
        rows = _gather_slot(v, idx, s, mask).view(p, num_heads, -1)
        out.view(p, num_heads, -1).addcmul_(rows, attn[s, :, :, None].to(rows.dtype))
    return out.to(v.dtype), attn


class WindowAttention(torch.autograd.Function):
    """Autograd wrapper that saves no gathered tensors (they are recomputed in backward)."""

    @staticmethod
    def forward(ctx, q, k, v, idx, k_bias, v_bias, mask, num_heads, forward_fn):
        out, attn = forward_fn(q, k, v, idx, k_bias, v_bias, mask, num_heads)
        ctx.save_for_backward(q, k, v, idx, k_bias, v_bias, mask, attn)
        ctx.num_heads = num_heads
        return out

    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, idx, k_bias, v_bias, mask, attn = ctx.saved_tensors
        heads = ctx.num_heads
        p, c = q.shape
        num_slots = idx.shape[0]
        need_q, need_k, need_v, _, need_kb, need_vb = ctx.needs_input_grad[:6]
        grad_out = grad_out.contiguous()
        go = grad_out.view(p, heads, -1)
        work = _accumulation_dtype(v.dtype)

        # d attn = <grad_out, V_slot> per head; values' gradients are attn * grad_out scattered to their rows
        grad_attn = torch.empty_like(attn)
        grad_v = torch.zeros(v.shape, dtype=work, device=v.device) if need_v else None
        grad_vb = torch.zeros(v_bias.shape, dtype=work, device=v.device) if need_vb else None
        for s in range(num_slots):
            rows = _gather_slot(v, idx, s, mask)
            grad_attn[s] = _per_head_dot(grad_out, rows, heads)
            if need_v or need_vb:
                g_rows = (go.to(work) * attn[s, :, :, None].to(work)).view(p, c)
                if need_vb:
                    grad_vb[s] = g_rows.sum(0)
                if need_v:
                    if mask is not None:
                        g_rows.mul_(mask[s, :, None].to(work))
                    grad_v.index_add_(0, idx[s], g_rows)
        grad_attn += _slot_constant_dot(grad_out, v_bias, heads, grad_attn.dtype)
        grad_logits = attn * (grad_attn - (attn * grad_attn).sum(0, keepdim=True))

        grad_q = _slot_constant_mix(grad_logits, k_bias, work) if need_q else None
        grad_k = torch.zeros(k.shape, dtype=work, device=k.device) if need_k else None
        grad_kb = torch.zeros(k_bias.shape, dtype=work, device=k.device) if need_kb else None
        qh = q.view(p, heads, -1)
        for s in range(num_slots):
            gl = grad_logits[s, :, :, None].to(work)
            if need_q:
                rows = _gather_slot(k, idx, s, mask).view(p, heads, -1)
                grad_q.view(p, heads, -1).addcmul_(rows.to(work), gl)
            if need_k or need_kb:
                g_rows = (qh.to(work) * gl).view(p, c)
                if need_kb:
                    grad_kb[s] = g_rows.sum(0)
                if need_k:
                    if mask is not None:
                        g_rows.mul_(mask[s, :, None].to(work))
                    grad_k.index_add_(0, idx[s], g_rows)

        def cast(grad, like):
            return None if grad is None else grad.to(like.dtype)

        return (cast(grad_q, q), cast(grad_k, k), cast(grad_v, v), None, cast(grad_kb, k_bias),
                cast(grad_vb, v_bias), None, None, None)


def window_attention(q, k, v, idx, k_bias, v_bias, mask, num_heads, forward_fn=window_attention_forward):
    """Lean window attention; see :func:`window_attention_forward` for shapes."""
    if torch.is_grad_enabled() and any(t.requires_grad for t in (q, k, v, k_bias, v_bias)):
        return WindowAttention.apply(q, k, v, idx, k_bias, v_bias, mask, num_heads, forward_fn)
    return forward_fn(q, k, v, idx, k_bias, v_bias, mask, num_heads)[0]

"""Window attention whose additive mask takes a gradient (training the relative-position bias), chunked.

SDPA cannot give a float mask a gradient on its fused kernels, and the plain autograd product (scores, softmax,
product) keeps a (windows * heads, N, N) score and probability tensor per call: 57 MB at IART's 64 windows of
3x8x8 tokens, larger than glibc's mmap threshold, so every one of them is freshly mapped and faulted in, and the
page faults cost more than the arithmetic. Here the windows go through in chunks whose (chunk * heads, N, N)
temporaries stay a few MB (reused from the heap, mostly cache resident), and the backward recomputes each chunk's
probabilities from q, k and the mask instead of saving them (flash-attention style), so nothing of size N x N
per window is kept between the forward and the backward. The function takes the qkv projection whole and
returns the tokens ``proj`` reads, so the per-head layout changes happen chunk by chunk too.
"""
import torch

from ....utils.device_sizes import for_device

# score bytes per chunk. CPU: 8 windows x 6 heads x 192 x 192 x 4 B = 7 MB of scores at IART's size (heap-served,
# cache resident); elsewhere (CUDA) a chunk only bounds memory, so it is large enough to keep kernel launches rare
DEFAULT_CHUNK_BYTES = {'cpu': 8 * 2**20, 'other': 512 * 2**20}


def _chunk_windows(heads, nq, n, element_size, chunk_bytes):
    return max(1, chunk_bytes // (heads * nq * n * element_size))


def _probabilities(q_scaled, k, mask):
    """(w, heads, Nq, N) softmax(q_scaled k^T + mask) for one chunk (the scale is applied to the small q)."""
    w, heads, nq, d = q_scaled.shape
    scores = torch.bmm(q_scaled.reshape(-1, nq, d), k.reshape(-1, k.shape[2], d).transpose(1, 2))
    return scores.view(w, heads, nq, -1).add_(mask).softmax(-1)


def _heads(x, start, end, rows, part, heads):
    """(w, heads, rows, d) contiguous copy of part 0 (q), 1 (k) or 2 (v) of windows start:end of a
    (windows, N, 3C) qkv tensor (a chunk: small, so the copy stays in cache). Always a copy: callers scale it
    in place."""
    c = x.shape[-1] // 3
    block = x[start:end, rows, part * c:(part + 1) * c]
    block = block.reshape(end - start, block.shape[1], heads, c // heads).transpose(1, 2)
    return block.clone(memory_format=torch.contiguous_format)


class GroupedMaskedAttention(torch.autograd.Function):
    """Window attention straight from the qkv projection to the tokens ``proj`` reads, for every window group
    (one trainable additive mask per group), chunked over windows.

    Taking the (windows, N, 3C) projection whole and returning (windows, Nq, C) tokens keeps the per-head
    layout changes inside small chunks in both directions: autograd would otherwise permute and copy the whole
    q/k/v and their gradients (three full-size tensors each way per block).
    """

    @staticmethod
    def forward(ctx, qkv, scale, heads, groups, rows, chunk, *masks):
        bw, n, c3 = qkv.shape
        c = c3 // 3
        nq = len(range(n)[rows])
        tokens = qkv.new_empty((bw, nq, heads, c // heads))
        for (start, end), mask in zip(groups, masks):
            for s0 in range(start, end, chunk):
                s1 = min(end, s0 + chunk)
                probs = _probabilities(_heads(qkv, s0, s1, rows, 0, heads).mul_(scale),
                                       _heads(qkv, s0, s1, slice(None), 1, heads), mask)
                tokens[s0:s1] = torch.matmul(probs, _heads(qkv, s0, s1, slice(None), 2, heads)).transpose(1, 2)
        ctx.save_for_backward(qkv, tokens, *masks)
        ctx.args = (scale, heads, groups, rows, chunk)
        return tokens.view(bw, nq, c)

    @staticmethod
    def backward(ctx, grad_tokens):
        qkv, tokens, *masks = ctx.saved_tensors
        scale, heads, groups, rows, chunk = ctx.args
        bw, n, c3 = qkv.shape
        c = c3 // 3
        nq = tokens.shape[1]
        grad_tokens = grad_tokens.reshape(tokens.shape)
        # query rows outside ``rows`` get no gradient; every key and value row does
        grad_qkv = qkv.new_zeros(qkv.shape) if nq < n else qkv.new_empty(qkv.shape)
        grad_view = grad_qkv.view(bw, n, 3, heads, c // heads)
        # rowsum(dO * O): the softmax backward's correction term, (bw, Nq, heads)
        correction = (grad_tokens * tokens).sum(-1)
        grad_masks = []
        for (start, end), mask in zip(groups, masks):
            grad_mask = torch.zeros(mask.shape[1:], dtype=mask.dtype, device=mask.device)
            for s0 in range(start, end, chunk):
                s1 = min(end, s0 + chunk)
                q_scaled = _heads(qkv, s0, s1, rows, 0, heads).mul_(scale)
                k = _heads(qkv, s0, s1, slice(None), 1, heads)
                v = _heads(qkv, s0, s1, slice(None), 2, heads)
                probs = _probabilities(q_scaled, k, mask)  # (w, heads, Nq, N)
                go = grad_tokens[s0:s1].transpose(1, 2)  # (w, heads, Nq, d), strided
                grad_view[s0:s1, :, 2] = torch.matmul(probs.transpose(-1, -2), go).transpose(1, 2)
                grad_scores = torch.matmul(go, v.transpose(-1, -2))
                grad_scores.sub_(correction[s0:s1].transpose(1, 2)[..., None]).mul_(probs)
                grad_mask += grad_scores.sum(0)
                grad_view[s0:s1, rows, 0] = torch.matmul(grad_scores, k).mul_(scale).transpose(1, 2)
                # d k = d S^T (scale q)
                grad_view[s0:s1, :, 1] = torch.matmul(grad_scores.transpose(-1, -2), q_scaled).transpose(1, 2)
            grad_masks.append(grad_mask.unsqueeze(0) if ctx.needs_input_grad[6 + len(grad_masks)] else None)
        return (grad_qkv, None, None, None, None, None, *grad_masks)


def grouped_masked_attention(qkv, scale, heads, groups, masks, rows=slice(None), chunk_bytes=None):
    """Window attention of every window group with its trainable additive mask.

    Args:
        qkv (Tensor): (windows, N, 3C) output of the qkv projection, channels [q | k | v], each head-major.
        scale (float): logit scale.
        heads (int): heads; C must be a multiple.
        groups (list[tuple[int, int]]): (start, end) window range of each group; together they cover every
            window once (the backward writes each window's q/k/v gradient exactly once).
        masks (list[Tensor]): (1, heads, Nq, N) additive mask of each group.
        rows (slice): the query positions (all N, or the centre frame's).
        chunk_bytes (int | None): size of one chunk's (chunk * heads, Nq, N) score tensor; None: the default
            of ``qkv``'s device (``DEFAULT_CHUNK_BYTES``).

    Returns:
        Tensor: (windows, Nq, C) attention output, token-major, heads concatenated (what ``proj`` reads).
    """
    n = qkv.shape[1]
    nq = len(range(n)[rows])
    if chunk_bytes is None:
        chunk_bytes = for_device(DEFAULT_CHUNK_BYTES, qkv.device)
    chunk = _chunk_windows(heads, nq, n, qkv.element_size(), chunk_bytes)
    return GroupedMaskedAttention.apply(qkv.contiguous(), scale, heads, tuple(groups), rows, chunk, *masks)

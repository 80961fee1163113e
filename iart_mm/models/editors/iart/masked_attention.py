"""Window attention whose additive mask takes a gradient (training the relative-position bias), chunked.

SDPA cannot give a float mask a gradient on its fused kernels, and the plain autograd product (scores, softmax,
product) keeps a (windows * heads, N, N) score and probability tensor per call: 57 MB at IART's 64 windows of
3x8x8 tokens, larger than glibc's mmap threshold, so every one of them is freshly mapped and faulted in, and the
page faults cost more than the arithmetic. Here the windows go through in chunks whose (chunk * heads, N, N)
temporaries stay a few MB (reused from the heap, mostly cache resident), and the backward recomputes each chunk's
probabilities from q, k and the mask instead of saving them (flash-attention style), so nothing of size N x N
per window is kept between the forward and the backward.
"""
import torch

# windows per chunk: 8 x 6 heads x 192 x 192 x 4 B = 7 MB of scores at IART's size
DEFAULT_CHUNK_BYTES = 8 * 2**20


def _chunk_windows(heads, nq, n, element_size, chunk_bytes):
    return max(1, chunk_bytes // (heads * nq * n * element_size))


def _probabilities(q, k, mask, scale):
    """(w, heads, Nq, N) softmax(scale * q k^T + mask) for one chunk."""
    w, heads, nq, d = q.shape
    scores = torch.bmm(q.reshape(-1, nq, d), k.reshape(-1, k.shape[2], d).transpose(1, 2))
    scores = scores.view(w, heads, nq, -1).mul_(scale).add_(mask)
    return scores.softmax(-1)


class MaskedWindowAttention(torch.autograd.Function):
    """softmax(scale * q k^T + mask) v over windows, with gradients for q, k, v and the mask."""

    @staticmethod
    def forward(ctx, q, k, v, mask, scale, chunk):
        w, heads, nq, d = q.shape
        out = q.new_empty((w, heads, nq, v.shape[-1]))
        for start in range(0, w, chunk):
            end = min(w, start + chunk)
            probs = _probabilities(q[start:end], k[start:end], mask, scale)
            torch.matmul(probs, v[start:end], out=out[start:end])
        ctx.save_for_backward(q, k, v, mask, out)
        ctx.scale, ctx.chunk = scale, chunk
        return out

    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, mask, out = ctx.saved_tensors
        scale, chunk = ctx.scale, ctx.chunk
        grad_out = grad_out.contiguous()
        need_q, need_k, need_v, need_mask = ctx.needs_input_grad[:4]
        grad_q = torch.empty_like(q) if need_q else None
        grad_k = torch.empty_like(k) if need_k else None
        grad_v = torch.empty_like(v) if need_v else None
        grad_mask = torch.zeros(mask.shape[1:], dtype=mask.dtype, device=mask.device) if need_mask else None
        # rowsum(dO * O) = sum_j P_ij dP_ij: the softmax backward's correction term, one scalar per query
        correction = (grad_out * out).sum(-1, keepdim=True)
        for start in range(0, q.shape[0], chunk):
            end = min(q.shape[0], start + chunk)
            probs = _probabilities(q[start:end], k[start:end], mask, scale)  # (w, heads, Nq, N)
            go = grad_out[start:end]
            if need_v:
                torch.matmul(probs.transpose(-1, -2), go, out=grad_v[start:end])
            grad_scores = torch.matmul(go, v[start:end].transpose(-1, -2)).sub_(correction[start:end]).mul_(probs)
            if need_mask:
                grad_mask += grad_scores.sum(0)
            if need_q:
                torch.matmul(grad_scores, k[start:end], out=grad_q[start:end]).mul_(scale)
            if need_k:
                torch.matmul(grad_scores.transpose(-1, -2), q[start:end], out=grad_k[start:end]).mul_(scale)
        if need_mask:
            grad_mask = grad_mask.unsqueeze(0)
        return grad_q, grad_k, grad_v, grad_mask, None, None


def masked_window_attention(q, k, v, mask, scale, chunk_bytes=DEFAULT_CHUNK_BYTES):
    """Attention over windows with a trainable additive mask.

    Args:
        q (Tensor): (windows, heads, Nq, d) queries (unscaled).
        k, v (Tensor): (windows, heads, N, d) keys and values.
        mask (Tensor): (1, heads, Nq, N) additive mask (bias + shift mask), shared by all windows.
        scale (float): logit scale.
        chunk_bytes (int): size of one chunk's (chunk * heads, Nq, N) score tensor.

    Returns:
        Tensor: (windows, heads, Nq, d).
    """
    heads, nq, n = q.shape[1], q.shape[2], k.shape[2]
    chunk = _chunk_windows(heads, nq, n, q.element_size(), chunk_bytes)
    return MaskedWindowAttention.apply(q.contiguous(), k.contiguous(), v.contiguous(), mask, scale, chunk)

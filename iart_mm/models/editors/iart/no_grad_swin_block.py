"""A Swin block in inference (no grad), window chunk by window chunk, writing into its own buffers in place.

``SwinBlock3D.forward`` keeps, per call on a (b, t, h, w, C) clip of M tokens: LN1(x), the gathered windows,
the qkv projection (3 M C), the attention tokens, their projection, the un-gathered output, the sum, LN2 of it,
the MLP's hidden layer (2 M C) and its output; at IART's 3 x 64 x 64 x 120 that is ~50 MB live at the peak, in
tensors of 6, 12 and 18 MB which glibc's default allocator (its mmap threshold rises to the largest block freed)
serves from the heap and fragments. Here the block keeps only its input and ONE clip-sized buffer:

- attention: the buffer holds LN1(x) (zero-padded to whole windows). The windows go through in chunks of about
  ``CHUNK_TOKENS`` tokens (qkv, one SDPA call per window category, proj: ~2 MB each), and each chunk's output
  is written back over the very rows it read. That is safe because windows are disjoint: no later chunk reads
  those rows. Then the buffer (cropped) plus x is the block's first residual.
- MLP: token chunks of the same size, ``y[rows] += MLP(LN2(y[rows]))`` in place.

LayerNorm, the projections and the MLP act on each token alone and attention on each window alone, so the chunks
compute the same function as the whole call (the fused path of ``fused_window_attention``); outputs agree to
float rounding. Training, drop-path in train mode and autograd keep the out-of-place path.
"""
from .fused_window_attention import (_grouped_attention, _token_layout, frame_query_rows, group_masks, pad_clip,
                                     window_padding)

# Tokens per chunk: 21 windows of 3x8x8 at C = 120 make a 2.4 MB window chunk and a 7 MB qkv chunk.
CHUNK_TOKENS = 4096


def _attend_in_place(attn, buf, size, shift_size, query_rows):
    """Window attention of the padded LN1 clip ``buf`` (b, T, H, W, C), written over ``buf`` chunk by chunk.

    With ``query_rows`` (a slice of the N window positions) only those positions are written.
    """
    b, c = buf.shape[0], buf.shape[-1]
    n = attn.window_size[0] * attn.window_size[1] * attn.window_size[2]
    gather, _, groups = _token_layout(b, size, tuple(buf.shape[1:4]), attn.window_size, shift_size, buf.device)
    flat = buf.view(-1, c)
    per_chunk = max(1, CHUNK_TOKENS // n)
    masks = group_masks(attn, groups, shift_size, buf.device, buf.dtype)
    for category, start, end in groups:
        for first in range(start, end, per_chunk):
            last = min(end, first + per_chunk)
            rows = gather[first * n:last * n]
            windows = flat.index_select(0, rows).view(last - first, n, c)
            out = _grouped_attention(attn, windows, [(category, 0, last - first)], shift_size, query_rows, masks)
            if query_rows is not None:
                rows = rows.view(last - first, n)[:, query_rows].reshape(-1)
            flat.index_copy_(0, rows, out)


def _mlp_in_place(block, y):
    """``y += MLP(LN2(y))`` over token chunks of the contiguous (..., C) tensor ``y``."""
    flat = y.view(-1, y.shape[-1])
    for first in range(0, flat.shape[0], CHUNK_TOKENS):
        rows = flat[first:first + CHUNK_TOKENS]
        rows.add_(block.mlp(block.norm2(rows)))
    return y


def swin_block_no_grad(block, x, query_frame=None):
    """``block(x)`` (or ``block.forward_frame(x, query_frame)``) for a ``SwinBlock3D`` without autograd.

    Args:
        block (SwinBlock3D): in eval mode or with no drop-path (this path has no stochastic depth).
        x (Tensor): (b, t, h, w, C), not modified.
        query_frame (int | None): return only this frame's output (b, h, w, C); keys and values still come from
            all frames.

    Returns:
        Tensor: (b, t, h, w, C), or (b, h, w, C) for ``query_frame``; a new tensor.
    """
    attn = block.attn
    b, t, h, w, c = x.shape
    pads = window_padding((t, h, w), attn.window_size)
    if query_frame is not None and t + pads[0] != attn.window_size[0]:  # several windows along t: no shortcut
        return swin_block_no_grad(block, x)[:, query_frame]
    buf = pad_clip(block.norm1(x), pads)
    _attend_in_place(attn, buf, (t, h, w), tuple(block.shift_size), frame_query_rows(query_frame, attn.window_size))
    if query_frame is not None:
        y = x[:, query_frame] + buf[:, query_frame, :h, :w]
    elif any(pads):
        y = x + buf[:, :t, :h, :w]
    else:
        y = buf.add_(x)
    return _mlp_in_place(block, y)

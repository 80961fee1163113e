"""Swin blocks in inference (no grad): the clip stays in window order, and each window chunk goes through a
whole block (attention and MLP) at once, in place.

``SwinBlock3D.forward`` keeps, per call on a (b, t, h, w, C) clip of M tokens: LN1(x), the gathered windows,
the qkv projection (3 M C), the attention tokens, their projection, the un-gathered output, the sum, LN2 of it,
the MLP's hidden layer (2 M C) and its output; at IART's 3 x 64 x 64 x 120 that is ~50 MB live at the peak, in
tensors of 6, 12 and 18 MB which glibc's default allocator (its mmap threshold rises to the largest block freed)
serves from the heap and fragments, plus two full-size layout copies (gather and scatter) per block.

Here a run of blocks (a residual group) keeps its input and two clip-sized buffers in (grouped) window order:

- between blocks, ONE row gather takes the buffer from the previous block's window order to this block's
  (the raster order is never materialised in between: a shifted block's rolled windows are just another row
  order of the same tokens);
- each chunk of about :func:`chunk_tokens` tokens (whole windows of one category) is a contiguous slice of the
  buffer: ``y = x + Attn(LN1 x)``, then ``y += MLP(LN2 y)``, written over the very rows it read. Windows are
  disjoint and the MLP acts per token, so no later chunk needs those rows, and the chunk stays in cache from
  LN1 to the MLP's output;
- after the last block one gather returns the raster clip (or, for ``query_frame``, that frame alone).

The clip is zero-padded to whole windows as in the release, where the padding is applied to LN1's output: here
a padded row's LN1 output is set to zero, and padded rows are dropped at the end. LayerNorm, the projections
and the MLP act on each token alone and attention on each window alone, so this is the function of the
out-of-place blocks (``fused_window_attention``) up to float rounding. Training, drop-path in train mode and
autograd keep the out-of-place path.
"""
import functools

import torch

from ....utils.device_sizes import for_device
from .fused_window_attention import (_grouped_attention, _token_layout, block_masks, frame_output_rows,
                                     frame_query_rows, pad_clip, window_padding)

# Tokens per chunk. CPU: 21 windows of 3x8x8 at C = 120 make a 2 MB window chunk, a 6 MB qkv chunk and a 4 MB MLP
# hidden layer, which stay in cache. Elsewhere (CUDA) chunks only bound the temporaries' memory (131072 tokens:
# a 189 MB qkv chunk in float32), so they are large enough to keep kernel launches rare: a 180x320 step takes one
# or two per window category.
CHUNK_TOKENS = {'cpu': 4096, 'other': 1 << 17}


def chunk_tokens(device):
    """Tokens per chunk on ``device``."""
    return for_device(CHUNK_TOKENS, device)


# 3 entries per clip shape (raster -> unshifted, unshifted -> shifted, shifted -> unshifted); ~3 MB each at 180x320
@functools.lru_cache(maxsize=24)
def _block_order(batch, size, padded, window_size, shift_size, previous_shift, device):
    """Row orders of one block on a (batch, *size) clip padded to ``padded``, all cached.

    Returns:
        tuple: ``index``: for each row of this block's (grouped, rolled) window order, its row in the previous
        block's order (``previous_shift`` None: in the padded raster clip); ``groups`` [(category, first
        window, end window)]; ``raster``: for each token of the unpadded clip, its row in this order; ``pad``:
        (rows, 1) bool, True on padding rows, or None without padding.
    """
    gather, raster, groups = _token_layout(batch, size, padded, window_size, shift_size, device)
    index = gather
    if previous_shift is not None:
        previous = _token_layout(batch, size, padded, window_size, previous_shift, device)[0]
        position = torch.empty_like(previous)
        position[previous] = torch.arange(previous.numel(), device=device)
        index = position[gather]
    pad = None
    if tuple(size) != tuple(padded):
        is_pad = torch.ones(batch, *padded, dtype=torch.bool, device=device)
        is_pad[:, :size[0], :size[1], :size[2]] = False
        pad = is_pad.reshape(-1)[gather][:, None]
    return index, groups, raster, pad


def _block_in_place(block, buf, groups, pad, query_rows=None):
    """One block on ``buf`` (rows, C) in its window order, chunk by chunk.

    Without ``query_rows`` the output overwrites ``buf``; with them (a slice of the N window positions) only
    those positions get an output, returned as a new (windows * Nq, C) tensor in the same window order.
    """
    attn = block.attn
    c = buf.shape[-1]
    n = attn.window_size[0] * attn.window_size[1] * attn.window_size[2]
    shift = tuple(block.shift_size)
    per_chunk = max(1, chunk_tokens(buf.device) // n)
    masks = block_masks(attn, groups, shift, query_rows, buf.device, buf.dtype)
    out = None
    if query_rows is not None:
        nq = query_rows.stop - query_rows.start
        out = buf.new_empty((buf.shape[0] // n * nq, c))
    for category, start, end in groups:
        for first in range(start, end, per_chunk):
            last = min(end, first + per_chunk)
            rows = buf[first * n:last * n]
            normed = block.norm1(rows)
            if pad is not None:
                normed.masked_fill_(pad[first * n:last * n], 0.)  # the release pads LN1's output with zeros
            attended = _grouped_attention(attn, normed.view(last - first, n, c), [(category, 0, last - first)],
                                          shift, query_rows, masks)
            if query_rows is None:
                y = rows.add_(attended)
            else:
                y = out[first * nq:last * nq]
                torch.add(rows.view(last - first, n, c)[:, query_rows].reshape(-1, c), attended, out=y)
            y.add_(block.mlp(block.norm2(y)))
    return out


def swin_blocks_no_grad(blocks, x, query_frame=None):
    """``blocks`` applied one after another to ``x`` without autograd; the last gives only ``query_frame``.

    Args:
        blocks (Sequence[SwinBlock3D]): with one window size, in eval mode or with no drop-path (this path has
            no stochastic depth).
        x (Tensor): (b, t, h, w, C), not modified.
        query_frame (int | None): return only this frame's output of the last block (b, h, w, C); keys and
            values still come from all frames, and the earlier blocks compute every frame.

    Returns:
        Tensor: (b, t, h, w, C), or (b, h, w, C) for ``query_frame``; a new tensor.
    """
    window_size = tuple(blocks[0].attn.window_size)
    if any(tuple(blk.attn.window_size) != window_size for blk in blocks):
        raise ValueError('swin_blocks_no_grad: all blocks must share one window size')
    b, t, h, w, c = x.shape
    pads = window_padding((t, h, w), window_size)
    padded = (t + pads[0], h + pads[1], w + pads[2])
    if query_frame is not None and padded[0] != window_size[0]:  # several windows along t: no shortcut
        return swin_blocks_no_grad(blocks, x)[:, query_frame]
    query_rows = frame_query_rows(query_frame, window_size)
    src, spare, previous_shift = pad_clip(x, pads).reshape(-1, c), None, None
    for i, block in enumerate(blocks):
        shift = tuple(block.shift_size)
        index, groups, raster, pad = _block_order(b, (t, h, w), padded, window_size, shift, previous_shift,
                                                  x.device)
        # ping-pong between two buffers; the first gather reads x (or its padded copy), never written
        buf = torch.index_select(src, 0, index, out=spare) if spare is not None else src.index_select(0, index)
        spare = src if i > 0 else None
        last = i == len(blocks) - 1
        out = _block_in_place(block, buf, groups, pad, query_rows if last else None)
        src, previous_shift = buf, shift
    if query_frame is None:
        return _gather_rows(buf, raster, spare).view(b, t, h, w, c)
    return _gather_rows(out, frame_output_rows(raster, (t, h, w), query_frame, window_size), spare).view(b, h, w, c)


def _gather_rows(src, index, spare):
    """``src[index]``, written into the front of the free buffer ``spare`` when there is one."""
    if spare is None:
        return src.index_select(0, index)
    return torch.index_select(src, 0, index, out=spare[:index.numel()])


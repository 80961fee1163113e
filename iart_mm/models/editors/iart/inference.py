"""Fast no-grad inference of ``IAPSRTRecurrentNet``: the same function as the model, computed leaner.

The model files (:mod:`.iapsrt_recurrent_net`, :mod:`.swin_backbone`) are the network as written; they are what
training and export run. Everything here is inference-only machinery that reads their weights:

- **the switch**: :func:`use_fast_inference` / :func:`set_fast_inference` / :func:`fast_inference`, with the
  default from the environment variable ``IART_MM_FAST_INFERENCE`` (``0`` turns it off). Off, a no-grad
  forward runs the model as written (plain ``nn.Linear``, plain windows, ``scaled_dot_product_attention``);
- **the dispatch**: :func:`inference_runner`, the one place in the IART package that asks whether autograd is
  recording or ``torch.compile`` is tracing; it resolves the kernel choice once per forward;
- **the Swin blocks in window order, in place** (:func:`swin_blocks_in_place`): a residual group keeps its
  clip in (grouped) window order, one row gather between blocks, each chunk of windows through a whole block
  (attention and MLP) written over the rows it read;
- **window categories**: only the last window along a shifted axis straddles two regions, and its region
  pattern depends on the window and shift only, never on the clip size. So the windows are grouped by
  category (interior, last column, last row, corner), each group attends with ONE broadcast (1, heads, N, N)
  mask = bias + that category's -100/0 mask, built once per block call;
- **the kernel**: iart_mm's C++ op (:mod:`iart_mm.ops`, CPU float32 with AVX-512, ~1.3x faster than SDPA here)
  where it is usable and ``IART_MM_CPU_ATTENTION`` does not switch it off, else SDPA;
- **oneDNN linears** on CPU float32: the bias (and the MLP's GELU) in the product's epilogue instead of
  ``addmm``'s copy of the bias into the output (~7% of a forward);
- **the banded upsampler**: each frame's x4 reconstruction in bands of LR rows plus a halo, so its 64-channel
  HR maps are held one band at a time.

LayerNorm, the projections and the MLP act on each token alone and attention on each window alone, so every
path here gives the model's numbers up to float rounding (the tests hold them to 1e-5 on the release fixture).
"""
import contextlib
import functools
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from ....ops import SUPPORTED_HEAD_DIMS, cpu_window_attention_status, window_attention_into
from ....utils.compile_fallback import is_compiling
from ....utils.device_sizes import for_device
from .windows import SHIFT_MASK_VALUE, pad_clip, window_padding, window_partition

ENV_FAST_INFERENCE = 'IART_MM_FAST_INFERENCE'
_switch = {'fast': None}  # None: the environment decides

# Tokens per chunk of the in-place blocks. CPU: 21 windows of 3x8x8 at C = 120 make a 2 MB window chunk, a 6 MB
# qkv chunk and a 4 MB MLP hidden layer, which stay in cache. Elsewhere (CUDA) chunks only bound the
# temporaries' memory (131072 tokens: a 189 MB qkv chunk in float32), so they are large enough to keep kernel
# launches rare.
CHUNK_TOKENS = {'cpu': 4096, 'other': 1 << 17}
# LR rows the upsampler's 3x3 convs at x1, x1, x2, x4, x4 reach: 1 + 1 + 1/2 + 1/4 + 1/4
UPSAMPLE_HALO = 3


# ----------------------------------------------------------------------------------------------- the switch
def use_fast_inference():
    """True when no-grad forwards of ``IAPSRTRecurrentNet`` take this module's fast path (the default)."""
    if _switch['fast'] is not None:
        return _switch['fast']
    return os.environ.get(ENV_FAST_INFERENCE, '1') != '0'


def set_fast_inference(enabled):
    """Switch the fast path on or off for this process (overrides ``IART_MM_FAST_INFERENCE``); None: back
    to the environment's default."""
    _switch['fast'] = None if enabled is None else bool(enabled)


@contextlib.contextmanager
def fast_inference(enabled):
    """``set_fast_inference(enabled)`` inside a ``with`` block, restored afterwards."""
    previous = _switch['fast']
    set_fast_inference(enabled)
    try:
        yield
    finally:
        _switch['fast'] = previous


# --------------------------------------------------------------------------------------------- the dispatch
def inference_runner(net, lqs):
    """The :class:`InferenceRunner` for this forward of ``net``, or None to run the model as written.

    The fast path runs when the switch is on, autograd is not recording, ``torch.compile`` is not tracing and
    the network is in eval mode (train mode keeps stochastic depth). The kernel choice is resolved here, once.
    """
    if not use_fast_inference() or net.training or torch.is_grad_enabled() or is_compiling():
        return None
    return InferenceRunner(lqs.device, lqs.dtype, net.upsample_tile_rows)


class InferenceRunner:
    """One no-grad forward's execution choices and its fast backbone and upsampler.

    Args:
        device (torch.device): where the forward runs.
        dtype (torch.dtype): the features' dtype.
        upsample_tile_rows (int): LR rows per band of the upsampler.
    """

    def __init__(self, device, dtype, upsample_tile_rows=32):
        cpu_float = torch.device(device).type == 'cpu' and dtype == torch.float32
        self.cpu_op = cpu_float and cpu_window_attention_status()[0]
        self.onednn = cpu_float and _onednn_usable()
        self.chunk_tokens = for_device(CHUNK_TOKENS, device)
        self.upsample_tile_rows = max(1, int(upsample_tile_rows))

    # ---- linears
    def linear(self, layer, x, gelu=False):
        """``layer(x)`` (then the exact GELU if ``gelu``) through oneDNN's fused epilogue where it applies."""
        if self.onednn and layer.bias is not None and type(layer) is nn.Linear:
            try:
                return torch.ops.mkldnn._linear_pointwise(x, layer.weight, layer.bias, 'gelu' if gelu else 'none',
                                                          [], 'none' if gelu else '')
            except RuntimeError:  # this build refuses the call: the plain linear from now on
                self.onednn = False
                _onednn_state['usable'] = False
        y = layer(x)
        return F.gelu(y) if gelu else y

    def uses_cpu_op(self, nq, head_dim):
        """True when the C++ op takes a block with ``nq`` queries per window and this head dim."""
        return self.cpu_op and nq % 16 == 0 and head_dim in SUPPORTED_HEAD_DIMS

    # ---- backbone
    def backbone(self, backbone, x):
        """``backbone(x)`` (a ``WindowSwinBackbone``): (n, t, C, h, w) -> (n, C, h, w).

        Only the centre frame leaves the backbone, so the last group's last block and conv compute it alone.
        """
        centre = x.shape[1] // 2
        feats = backbone.patch_embed.norm(x.permute(0, 1, 3, 4, 2))  # n, t, h, w, C
        for layer in backbone.layers[:-1]:
            feats = self.residual_group(layer, feats)
        feats = backbone.norm(self.residual_group(backbone.layers[-1], feats, frame=centre))  # n, h, w, C
        return backbone.conv_after_body(feats.permute(0, 3, 1, 2)) + x[:, centre]

    def residual_group(self, layer, x, frame=None):
        """``layer(x)`` (a ``ResidualSwinGroup``) on (b, t, h, w, C), or the (b, h, w, C) output of ``frame``."""
        y = swin_blocks_in_place(self, layer.residual_group.blocks, x, frame)
        if frame is not None:
            return layer.conv(y.permute(0, 3, 1, 2)).permute(0, 2, 3, 1) + x[:, frame]
        b, t, h, w, c = y.shape
        y = layer.conv(y.reshape(b * t, h, w, c).permute(0, 3, 1, 2))
        return y.permute(0, 2, 3, 1).reshape(b, t, h, w, c) + x

    # ---- upsampler
    def upsample(self, net, lqs, feats, out):
        """``net.upsample`` in bands: each frame of ``feats`` (n, C, h, w) reconstructed in bands of
        ``upsample_tile_rows`` LR rows plus ``UPSAMPLE_HALO`` rows either side (the upsampler's receptive field:
        every HR row the zero padding at a band's cut can reach lies in the halo, which is cropped), written
        into ``out`` (n, t, 3, 4h, 4w). Its 64-channel HR maps are held one band at a time: 10 MB instead of
        17 MB a map at 64x64, 50 MB instead of 236 MB at 180x320."""
        h = lqs.shape[-2]
        tile = self.upsample_tile_rows
        for i, feat in enumerate(feats):
            feat = feat.to(lqs.device)
            base = net.img_upsample(lqs[:, i])
            for top in range(0, h, tile):
                bottom = min(h, top + tile)
                first, last = max(0, top - UPSAMPLE_HALO), min(h, bottom + UPSAMPLE_HALO)
                hr = net.reconstruct(feat[:, :, first:last])[:, :, 4 * (top - first):4 * (bottom - first)]
                out[:, i, :, 4 * top:4 * bottom] = hr + base[:, :, 4 * top:4 * bottom]
        return out


_onednn_state = {'usable': None}


def _onednn_usable():
    if _onednn_state['usable'] is None:
        _onednn_state['usable'] = bool(torch.backends.mkldnn.is_available()
                                       and hasattr(torch.ops.mkldnn, '_linear_pointwise'))
    return _onednn_state['usable'] and torch.backends.mkldnn.enabled


# --------------------------------------------------------------------------------------- window categories
def window_categories(padded_size, window_size, shift_size):
    """Per window (row-major over the window grid), which axes it is the shifted last window of, as bits.

    Only the last window along a shifted axis straddles two regions, and its pattern depends on the window and
    shift only, so there are at most 8 distinct masks (4 for IART: interior, last column, last row, corner).
    """
    grid = [length // win for length, win in zip(padded_size, window_size)]
    last = [count - 1 if shift > 0 else -1 for count, shift in zip(grid, shift_size)]
    return [(i == last[0]) | (j == last[1]) << 1 | (k == last[2]) << 2
            for i in range(grid[0]) for j in range(grid[1]) for k in range(grid[2])]


@functools.lru_cache(maxsize=64)
def category_region_mask(category, window_size, shift_size):
    """-100/0 (N, N) mask of one window category (see :func:`window_categories`); the release's regions.
    Kept per (category, window, shift): never modified."""
    ids = None
    for axis, (win, shift) in enumerate(zip(window_size, shift_size)):
        axis_ids = torch.zeros(win, dtype=torch.int64)
        if category >> axis & 1:
            # positions [0, win-shift) fall in region [L-ws, L-shift), the rest in [L-shift, L)
            axis_ids[:] = 2
            axis_ids[:max(win - shift, 0)] = 1
        ids = axis_ids if ids is None else ids[..., None] * 3 + axis_ids
    ids = ids.flatten()
    mask = torch.zeros(ids.numel(), ids.numel())
    return mask.masked_fill_(ids[:, None] != ids[None, :], SHIFT_MASK_VALUE)


@functools.lru_cache(maxsize=32)
def window_layout(batch, padded_size, window_size, shift_size):
    """(perm, [(category, start, end)]) grouping the b * nW windows by category (perm None: identity)."""
    cats = window_categories(padded_size, window_size, shift_size) * batch
    order = sorted(range(len(cats)), key=cats.__getitem__)  # stable: window order within a category
    groups, start = [], 0
    for category in sorted(set(cats)):
        count = cats.count(category)
        groups.append((category, start, start + count))
        start += count
    return (None if len(groups) == 1 else torch.tensor(order)), groups


@functools.lru_cache(maxsize=32)
def token_layout(batch, size, padded_size, window_size, shift_size, device):
    """Row indices that replace pad-free roll + partition + grouping (and their inverses) by gathers.

    Returns:
        tuple: ``gather`` (b * T * H * W,) int64, the rows of the padded clip (flattened (b, T, H, W, C)) in
        grouped window order after the roll; ``scatter`` (b * t * h * w,) int64, for each token of the unpadded
        clip its row in that order (which undoes grouping, partition, roll and padding at once); and the
        ``groups`` of :func:`window_layout`.
    """
    index = torch.arange(batch * padded_size[0] * padded_size[1] * padded_size[2]).view(batch, *padded_size)
    dims = tuple(d for d, s, length in zip((1, 2, 3), shift_size, padded_size) if s % length)
    if dims:  # rolled[i] = clip[i + shift], as torch.roll(clip, -shift)
        index = torch.roll(index, shifts=tuple(-shift_size[d - 1] for d in dims), dims=dims)
    perm, groups = window_layout(batch, padded_size, window_size, shift_size)
    windows = window_partition(index[..., None], window_size)[..., 0]  # (b * nW, N)
    gather = (windows if perm is None else windows[perm]).reshape(-1)
    scatter = torch.empty_like(gather)
    scatter[gather] = torch.arange(gather.numel())
    t, h, w = size
    scatter = scatter.view(batch, *padded_size)[:, :t, :h, :w].reshape(-1)
    return gather.to(device), scatter.to(device), groups


# 3 entries per clip shape (raster -> unshifted, unshifted -> shifted, shifted -> unshifted); ~3 MB each at 180x320
@functools.lru_cache(maxsize=24)
def block_order(batch, size, padded, window_size, shift_size, previous_shift, device):
    """Row orders of one block on a (batch, *size) clip padded to ``padded``.

    Returns:
        tuple: ``index``: for each row of this block's (grouped, rolled) window order, its row in the previous
        block's order (``previous_shift`` None: in the padded raster clip); ``groups`` [(category, first
        window, end window)]; ``raster``: for each token of the unpadded clip, its row in this order; ``pad``:
        (rows, 1) bool, True on padding rows, or None without padding.
    """
    gather, raster, groups = token_layout(batch, size, padded, window_size, shift_size, device)
    index = gather
    if previous_shift is not None:
        previous = token_layout(batch, size, padded, window_size, previous_shift, device)[0]
        position = torch.empty_like(previous)
        position[previous] = torch.arange(previous.numel(), device=device)
        index = position[gather]
    pad = None
    if tuple(size) != tuple(padded):
        is_pad = torch.ones(batch, *padded, dtype=torch.bool, device=device)
        is_pad[:, :size[0], :size[1], :size[2]] = False
        pad = is_pad.reshape(-1)[gather][:, None]
    return index, groups, raster, pad


def frame_query_rows(query_frame, window_size):
    """The window positions of ``query_frame``'s tokens (a slice of the N), None for all.

    Only for a clip one window long along t with no roll along it (a shift by the full window is the identity):
    the frame's tokens are then the same rows of every window.
    """
    if query_frame is None:
        return None
    plane = window_size[1] * window_size[2]
    return slice(query_frame * plane, (query_frame + 1) * plane)


def frame_output_rows(scatter, size, query_frame, window_size):
    """For each token of ``query_frame`` (b * h * w, raster order), its row in a frame-only attention output
    ((windows, Nq) flattened, in the order of ``scatter``, which holds each token's row in the full order)."""
    t, h, w = size
    n = window_size[0] * window_size[1] * window_size[2]
    plane = window_size[1] * window_size[2]
    rows = scatter.view(-1, t, h, w)[:, query_frame].reshape(-1)
    return rows // n * plane + rows % n - query_frame * plane


# ------------------------------------------------------------------------------------------ attention
def category_masks(attn, groups, shift_size, query_rows, device, dtype, transposed):
    """{category: (1, heads, Nq, N) additive mask} = relative-position bias + the category's shift mask, for
    the categories of ``groups``; the bias is gathered once per block call. ``transposed``: each head's
    (N, Nq) mask transposed and contiguous, the form the C++ op takes (the shift masks are symmetric)."""
    n = attn.relative_position_index.shape[0]
    index = attn.relative_position_index
    index = (index.t() if transposed else index).reshape(-1)
    bias = attn.relative_position_bias_table.t().contiguous().index_select(1, index).view(1, -1, n, n)
    bias = bias.to(device=device, dtype=dtype)
    masks = {}
    for category, _, _ in groups:
        mask = bias
        if category:
            mask = bias + category_region_mask(category, attn.window_size, tuple(shift_size)).to(device, dtype)
        if query_rows is not None:
            mask = mask[:, :, :, query_rows] if transposed else mask[:, :, query_rows]
        masks[category] = mask[0].contiguous() if transposed else mask
    return masks


def grouped_attention(runner, attn, windows, groups, masks, use_op, query_rows=None):
    """qkv, one attention call per window category, proj: (b * nW, N, C) windows -> (b * nW * Nq, C).

    Each group's output is written straight into the token-major buffer that ``proj`` reads. ``query_rows``
    (a slice of the N window positions) limits the queries, and so the output, to those positions; keys and
    values still cover the whole window. ``masks`` come from :func:`category_masks` in the kernel's form.
    """
    bw, n, c = windows.shape
    heads = attn.num_heads
    rows = slice(None) if query_rows is None else query_rows
    q, k, v = runner.linear(attn.qkv, windows).view(bw, n, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
    q = q[:, :, rows]
    nq = q.shape[2]
    tokens = windows.new_empty((bw, nq, heads, c // heads))
    for category, start, end in groups:
        if use_op:
            window_attention_into(q[start:end], k[start:end], v[start:end], masks[category], attn.scale,
                                  tokens[start:end])
        else:
            tokens[start:end] = F.scaled_dot_product_attention(q[start:end], k[start:end], v[start:end],
                                                               attn_mask=masks[category],
                                                               scale=attn.scale).transpose(1, 2)
    return runner.linear(attn.proj, tokens.view(bw * nq, c))


# ------------------------------------------------------------------------------- the in-place Swin blocks
def _block_in_place(runner, block, buf, groups, pad, query_rows=None):
    """One block on ``buf`` (rows, C) in its window order, chunk by chunk: ``y = x + Attn(LN1 x)``, then
    ``y += MLP(LN2 y)``, written over the rows it read (windows are disjoint and the MLP acts per token, so no
    later chunk needs them, and the chunk stays in cache from LN1 to the MLP's output).

    Without ``query_rows`` the output overwrites ``buf``; with them (a slice of the N window positions) only
    those positions get an output, returned as a new (windows * Nq, C) tensor in the same window order.
    """
    attn = block.attn
    c = buf.shape[-1]
    n = attn.relative_position_index.shape[0]
    nq = n if query_rows is None else query_rows.stop - query_rows.start
    use_op = runner.uses_cpu_op(nq, c // attn.num_heads)
    masks = category_masks(attn, groups, block.shift_size, query_rows, buf.device, buf.dtype, transposed=use_op)
    per_chunk = max(1, runner.chunk_tokens // n)
    out = None if query_rows is None else buf.new_empty((buf.shape[0] // n * nq, c))
    mlp = block.mlp
    for category, start, end in groups:
        for first in range(start, end, per_chunk):
            last = min(end, first + per_chunk)
            rows = buf[first * n:last * n]
            normed = block.norm1(rows)
            if pad is not None:
                normed.masked_fill_(pad[first * n:last * n], 0.)  # the release pads LN1's output with zeros
            attended = grouped_attention(runner, attn, normed.view(last - first, n, c),
                                         [(category, 0, last - first)], masks, use_op, query_rows)
            if query_rows is None:
                y = rows.add_(attended)
            else:
                y = out[first * nq:last * nq]
                torch.add(rows.view(last - first, n, c)[:, query_rows].reshape(-1, c), attended, out=y)
            y.add_(runner.linear(mlp.fc2, runner.linear(mlp.fc1, block.norm2(y), gelu=True)))
    return out


def swin_blocks_in_place(runner, blocks, x, query_frame=None):
    """``blocks`` (``SwinBlock3D``, one window size, no stochastic depth) applied one after another to ``x``;
    the last gives only ``query_frame``.

    The clip is kept in (grouped) window order in two ping-pong buffers: between blocks ONE row gather takes the
    buffer from the previous block's window order to this block's (a shifted block's rolled windows are just
    another row order of the same tokens); after the last block one gather returns the raster clip (or that
    frame alone). A padded row's LN1 output is set to zero (the release pads LN1's output), and padded rows are
    dropped at the end.

    Args:
        runner (InferenceRunner): the forward's execution choices.
        blocks (Sequence[SwinBlock3D]): the blocks.
        x (Tensor): (b, t, h, w, C), not modified.
        query_frame (int | None): return only this frame's output of the last block (b, h, w, C); keys and
            values still come from all frames, and the earlier blocks compute every frame.

    Returns:
        Tensor: (b, t, h, w, C), or (b, h, w, C) for ``query_frame``; a new tensor.
    """
    window_size = tuple(blocks[0].attn.window_size)
    if any(tuple(blk.attn.window_size) != window_size for blk in blocks):
        raise ValueError('swin_blocks_in_place: all blocks must share one window size')
    b, t, h, w, c = x.shape
    pads = window_padding((t, h, w), window_size)
    padded = (t + pads[0], h + pads[1], w + pads[2])
    if query_frame is not None and padded[0] != window_size[0]:  # several windows along t: no shortcut
        return swin_blocks_in_place(runner, blocks, x)[:, query_frame]
    query_rows = frame_query_rows(query_frame, window_size)
    src, spare, previous_shift = pad_clip(x, pads).reshape(-1, c), None, None
    for i, block in enumerate(blocks):
        shift = tuple(block.shift_size)
        index, groups, raster, pad = block_order(b, (t, h, w), padded, window_size, shift, previous_shift,
                                                 x.device)
        # ping-pong between two buffers; the first gather reads x (or its padded copy), never written
        buf = torch.index_select(src, 0, index, out=spare) if spare is not None else src.index_select(0, index)
        spare = src if i > 0 else None
        last = i == len(blocks) - 1
        out = _block_in_place(runner, block, buf, groups, pad, query_rows if last else None)
        src, previous_shift = buf, shift
    if query_frame is None:
        return _gather_rows(buf, raster, spare).view(b, t, h, w, c)
    rows = frame_output_rows(raster, (t, h, w), query_frame, window_size)
    return _gather_rows(out, rows, spare).view(b, h, w, c)


def _gather_rows(src, index, spare):
    """``src[index]``, written into the front of the free buffer ``spare`` when there is one."""
    if spare is None:
        return src.index_select(0, index)
    return torch.index_select(src, 0, index, out=spare[:index.numel()])

"""Fused 3-D window attention for the IART Swin blocks: one SDPA call with bias and shift mask pre-folded.

The release adds, per block call, ``table[index]`` (the relative-position bias) and the shifted-window mask to
explicit (windows, heads, N, N) logits. Here they are folded into additive float masks handed to
``torch.nn.functional.scaled_dot_product_attention``. Only the last window along a shifted axis straddles two
regions, and its region pattern depends on the window and shift only, never on the clip size. So the windows
are grouped by category (interior, last column, last row, corner: a cached permutation, shared by all blocks),
and each group is ONE SDPA call with a broadcast (1, heads, N, N) mask = bias + that category's -100/0 mask.
An unshifted block is a single group with the bias alone.

The masks (at most 4 x heads x N x N floats per block: 3.5 MB for IART's shifted blocks, 0.9 MB for unshifted
ones, whatever the clip size) are built once per block call (:func:`group_masks`), not per window or chunk, and
not kept: keeping every block's would hold 161 MB for the released model, and building costs ~1% of a forward
(see :func:`folded_attention_mask`). In training a gradient reaches the bias table through them.

A roll by a multiple of the axis length is the identity: the release's temporal shift (3 on 3 frames) is
dropped; the mask still accounts for it (it yields a single region along t, as in the release).

On CPU in inference (float32, no grad) the attention runs in iart_mm's own op where it is built and the CPU has
AVX-512 (:mod:`iart_mm.ops`: ~1.3x faster than SDPA here), which takes each category's mask transposed
(:func:`op_masks`); elsewhere in SDPA.

SDPA backends (torch 2.14, ``python tools/benchmarks/bench_models.py --sdpa-backends``): on CPU, SDPA with a float
mask runs the fused flash-attention CPU kernel (``aten::_scaled_dot_product_flash_attention_for_cpu``) at head
dim 20 already; padding to 24 was slower (0.128 s vs 0.115 s for 384 x 192 x 192 with a mask), so there is no
padding. On CUDA (not measured, no GPU here): the flash kernel takes no float mask, so SDPA would pick the
memory-efficient kernel, whose head-dim alignment rule may require a multiple of 8 in half precision; if a
profile there shows the math fallback, pad q/k/v to 24 with zeros (scores and outputs are unchanged: slice the
output back to 20).
"""
import torch
import torch.nn.functional as F

from ....ops import fused_window_attention_supports, fused_window_attention_usable, window_attention_into
from ....utils.compile_fallback import is_compiling
from .cpu_linear import linear
from .masked_attention import grouped_masked_attention
from .window_attention import window_partition, window_reverse

_SHIFT_MASK_VALUE = -100.0


def shift_region_mask(padded_size, window_size, shift_size):
    """The full -100/0 shifted-window mask (nW, N, N), assembled from the per-category masks.

    Equals the release's mask for a padded (t, h, w) clip; used to check the category decomposition.
    """
    cats = _window_categories(padded_size, window_size, shift_size)
    return torch.stack([_category_region_mask(c, window_size, shift_size) for c in cats])


def _window_categories(padded_size, window_size, shift_size):
    """Per window (row-major over the window grid), which axes it is the shifted last window of, as bits.

    Only the last window along a shifted axis straddles two regions, and its pattern depends on the window and
    shift only, so there are at most 8 distinct masks (4 for IART: interior, last column, last row, corner).
    Plain Python ints (a list), so that ``torch.compile`` traces it as constants.
    """
    grid = [length // win for length, win in zip(padded_size, window_size)]
    last = [count - 1 if shift > 0 else -1 for count, shift in zip(grid, shift_size)]
    return [(i == last[0]) | (j == last[1]) << 1 | (k == last[2]) << 2
            for i in range(grid[0]) for j in range(grid[1]) for k in range(grid[2])]


def _category_region_mask(category, window_size, shift_size):
    """-100/0 (N, N) mask of one window category (see :func:`_window_categories`); the release's regions."""
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
    return mask.masked_fill_(ids[:, None] != ids[None, :], _SHIFT_MASK_VALUE)


_LAYOUTS = {}


def _cached(cache, key, build):
    """``cache[key]``, made by ``build()`` on a miss (at most 32 entries kept). Under ``torch.compile`` it is built
    afresh and not stored: a traced read of the cache would make the graph guard on the cache's contents, and
    recompile once the first call had filled it."""
    if is_compiling():
        return build()
    value = cache.get(key)
    if value is None:
        if len(cache) >= 32:
            cache.clear()
        value = cache[key] = build()
    return value


def _window_layout(batch, padded_size, window_size, shift_size):
    """Cached (perm, [(category, start, end)]) grouping the b * nW windows by category (perm None: identity)."""

    def build():
        cats = _window_categories(padded_size, window_size, shift_size) * batch
        order = sorted(range(len(cats)), key=cats.__getitem__)  # stable: window order within a category
        groups, start = [], 0
        for category in sorted(set(cats)):
            count = cats.count(category)
            groups.append((category, start, start + count))
            start += count
        return None if len(groups) == 1 else torch.tensor(order), groups

    return _cached(_LAYOUTS, (batch, tuple(padded_size), tuple(window_size), tuple(shift_size)), build)


_REGION_MASKS = {}


def _region_mask(category, window_size, shift_size, device, dtype):
    """The category's -100/0 (N, N) mask on ``device`` in ``dtype`` (a few per model: kept, never modified)."""
    return _cached(_REGION_MASKS, (category, window_size, shift_size, str(device), dtype),
                   lambda: _category_region_mask(category, window_size, shift_size).to(device=device, dtype=dtype))


def _bias_takes_grad(attn):
    """True when a gradient can reach the bias table (training with the table unfrozen)."""
    return attn.relative_position_bias_table.requires_grad and torch.is_grad_enabled()


def _relative_position_bias(attn, n, device, dtype, transposed=False):
    """The (1, heads, N, N) relative-position bias (``transposed``: each head's (N, N) transposed): one gather
    from the (heads, table) transpose, so the result is head-major already. A gradient reaches the table through
    it when the table takes one (training)."""
    index = attn.relative_position_index[:n, :n]
    index = (index.t() if transposed else index).reshape(-1)
    bias = attn.relative_position_bias_table.t().contiguous().index_select(1, index).view(1, -1, n, n)
    return bias.to(device=device, dtype=dtype)


def _with_region_mask(bias, attn, category, shift_size):
    """``bias`` plus the category's -100/0 shift mask (``bias`` itself for category 0)."""
    if not category:
        return bias
    return bias + _region_mask(category, tuple(attn.window_size), tuple(shift_size), bias.device, bias.dtype)


def folded_attention_mask(attn, n, category, shift_size, device, dtype):
    """Bias + the category's shift mask, as one additive (1, heads, N, N) mask.

    Args:
        attn: a window-attention module with ``relative_position_bias_table`` (table, heads),
            ``relative_position_index`` (N, N) and ``window_size`` (wt, wh, ww).
        n (int): tokens per window.
        category (int): window category bits (0: no shift boundary inside the window).
        shift_size (tuple[int]): the block's (st, sh, sw).

    Built per block call, not cached (see :func:`group_masks`, which gathers the bias once for all of a
    block's categories): ~1% of a forward, where a cache of every block's masks (161 MB for the released
    model, 48 MB for one branch) would stay resident.
    """
    return _with_region_mask(_relative_position_bias(attn, n, device, dtype), attn, category, shift_size)


def group_masks(attn, groups, shift_size, device, dtype, transposed=False):
    """{category: folded (1, heads, N, N) mask} for the categories of ``groups``: the bias is gathered once per
    block call, and each category adds its shift mask to it. ``transposed``: each head's mask transposed (the
    shift masks are symmetric, so only the bias gather changes)."""
    n = attn.window_size[0] * attn.window_size[1] * attn.window_size[2]
    bias = _relative_position_bias(attn, n, device, dtype, transposed)
    return {category: _with_region_mask(bias, attn, category, shift_size) for category, _, _ in groups}


def op_masks(attn, groups, shift_size, query_rows, device, dtype):
    """{category: (heads, N, Nq) contiguous mask}: the folded masks transposed, for the keys of all N window
    positions and the queries of ``query_rows`` (None: all): the form :mod:`iart_mm.ops` takes."""
    masks = group_masks(attn, groups, shift_size, device, dtype, transposed=True)
    if query_rows is None:
        return {category: mask[0] for category, mask in masks.items()}
    return {category: mask[0, :, :, query_rows].contiguous() for category, mask in masks.items()}


def block_masks(attn, groups, shift_size, query_rows, device, dtype):
    """The masks of one block call, for a caller that attends chunk by chunk: built once, in the form the
    attention will take: ``{'op': op_masks(...)}`` where iart_mm's CPU op takes the case (inference, float32 on
    CPU, see :mod:`iart_mm.ops`), else ``{'sdpa': group_masks(...)}``."""
    n = attn.window_size[0] * attn.window_size[1] * attn.window_size[2]
    nq = len(range(n)[slice(None) if query_rows is None else query_rows])
    head_dim = attn.qkv.in_features // attn.num_heads
    op = not torch.is_grad_enabled() and fused_window_attention_supports(device, dtype, nq, head_dim)
    form = 'op' if op else 'sdpa'
    return {form: _masks_in_form(None, form, attn, groups, shift_size, query_rows, device, dtype)}


def _masks_in_form(masks, form, attn, groups, shift_size, query_rows, device, dtype):
    """``masks[form]`` where the caller has it, else built for ``groups`` ('op': :func:`op_masks`, 'sdpa':
    :func:`group_masks`) and not stored: a caller's masks cover its whole block, these only this call's groups."""
    if masks and form in masks:
        return masks[form]
    if form == 'op':
        return op_masks(attn, groups, shift_size, query_rows, device, dtype)
    return group_masks(attn, groups, shift_size, device, dtype)


def _grouped_attention(attn, windows, groups, shift_size, query_rows=None, masks=None):
    """qkv, one attention call per window category, proj: (b * nW, N, C) windows -> (b * nW * Nq, C).

    Each group's attention output is written straight into the token-major buffer that ``proj`` reads (no
    concatenation, no separate transpose copy). ``query_rows`` (a slice of the N window positions) limits the
    queries, and so the output, to those positions; keys and values still cover the whole window.

    The attention runs in iart_mm's fused CPU op where it can (no grad, float32 CPU, AVX-512:
    :mod:`iart_mm.ops`), which takes the masks as :func:`op_masks` makes them, and in SDPA elsewhere, with the
    masks of :func:`group_masks`. A caller that calls this per chunk passes ``masks`` from :func:`block_masks`;
    a form it lacks is built here.
    """
    bw, n, c = windows.shape
    heads = attn.num_heads
    rows = slice(None) if query_rows is None else query_rows
    if _bias_takes_grad(attn):
        # training the bias table: SDPA cannot give a float mask a gradient on its fused kernels
        sdpa = _masks_in_form(masks, 'sdpa', attn, groups, shift_size, query_rows, windows.device, windows.dtype)
        masks = [sdpa[category][:, :, rows] for category, _, _ in groups]
        tokens = grouped_masked_attention(attn.qkv(windows), attn.scale, heads,
                                          [(start, end) for _, start, end in groups], masks, rows)
        return attn.proj(tokens.view(-1, c))
    qkv = linear(attn.qkv, windows).reshape(bw, n, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv.unbind(0)  # bw, heads, N, d
    q = q[:, :, rows]
    nq = q.shape[2]
    if fused_window_attention_usable(q, k):
        masks_t = _masks_in_form(masks, 'op', attn, groups, shift_size, query_rows, windows.device, windows.dtype)
        tokens = windows.new_empty((bw, nq, heads, c // heads))
        for category, start, end in groups:
            window_attention_into(q[start:end], k[start:end], v[start:end], masks_t[category], attn.scale,
                                  tokens[start:end])
        return linear(attn.proj, tokens.view(bw * nq, c))
    masks = _masks_in_form(masks, 'sdpa', attn, groups, shift_size, query_rows, windows.device, windows.dtype)
    if len(groups) == 1:
        # SDPA's CPU kernel lays its output out like the query, a token-major view of the qkv projection here,
        # so the transpose back to tokens is a view (where it is not, reshape copies)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=masks[groups[0][0]][:, :, rows], scale=attn.scale)
        return linear(attn.proj, out.transpose(1, 2).reshape(bw * nq, c))
    tokens = windows.new_empty((bw, nq, heads, c // heads))
    for category, start, end in groups:
        out = F.scaled_dot_product_attention(q[start:end], k[start:end], v[start:end],
                                             attn_mask=masks[category][:, :, rows],
                                             scale=attn.scale)
        tokens[start:end] = out.transpose(1, 2)
    return linear(attn.proj, tokens.view(bw * nq, c))


def window_padding(size, window_size):
    """(pad_t, pad_h, pad_w): the zeros to append so that a (t, h, w) clip is whole windows."""
    return tuple((-length) % win for length, win in zip(size, window_size))


def pad_clip(x, pads):
    """x (b, t, h, w, C) zero-padded at the end of t, h, w by ``pads`` (zeros, not masked: as the release)."""
    pad_t, pad_h, pad_w = pads
    return F.pad(x, (0, 0, 0, pad_w, 0, pad_h, 0, pad_t)) if any(pads) else x


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
    ((windows, Nq) flattened, the windows in the order ``scatter`` gives).

    ``scatter`` (b * t * h * w,) holds each token's row in the full (windows, N) order (see
    :func:`_token_layout`); the frame's tokens are the :func:`frame_query_rows` positions of every window.
    """
    t, h, w = size
    n = window_size[0] * window_size[1] * window_size[2]
    plane = window_size[1] * window_size[2]
    rows = scatter.view(-1, t, h, w)[:, query_frame].reshape(-1)
    return rows // n * plane + rows % n - query_frame * plane


_TOKEN_LAYOUTS = {}


def _token_layout(batch, size, padded_size, window_size, shift_size, device):
    """Cached row indices that replace pad-free roll + partition + grouping (and their inverses) by two gathers.

    Returns:
        tuple: ``gather`` (b * T * H * W,) int64, the rows of the padded clip (flattened (b, T, H, W, C)) in
        grouped window order after the roll; ``scatter`` (b * t * h * w,) int64, for each token of the unpadded
        clip its row in that order (which undoes grouping, partition, roll and padding at once); and the
        ``groups`` of :func:`_window_layout`.
    """
    def build():
        index = torch.arange(batch * padded_size[0] * padded_size[1] * padded_size[2]).view(batch, *padded_size)
        dims = tuple(d for d, s, length in zip((1, 2, 3), shift_size, padded_size) if s % length)
        if dims:  # rolled[i] = clip[i + shift], as torch.roll(clip, -shift)
            index = torch.roll(index, shifts=tuple(-shift_size[d - 1] for d in dims), dims=dims)
        perm, groups = _window_layout(batch, padded_size, window_size, shift_size)
        windows = window_partition(index[..., None], window_size)[..., 0]  # (b * nW, N)
        gather = (windows if perm is None else windows[perm]).reshape(-1)
        scatter = torch.empty_like(gather)
        scatter[gather] = torch.arange(gather.numel())
        t, h, w = size
        scatter = scatter.view(batch, *padded_size)[:, :t, :h, :w].reshape(-1)
        return gather.to(device), scatter.to(device), groups

    key = (batch, tuple(size), tuple(padded_size), tuple(window_size), tuple(shift_size), str(device))
    return _cached(_TOKEN_LAYOUTS, key, build)


def fused_shifted_window_attention(attn, x, shift_size, query_frame=None):
    """The attention half of a Swin block on an already normalised clip: pad, roll, attend, unroll, crop.

    Roll, window partition and category grouping are one cached row gather, and their inverses (plus the crop)
    one more, instead of the 6-10 full-size layout copies the release makes per block.

    Args:
        attn: the block's window-attention module: ``qkv`` Linear(C, 3C), ``proj`` Linear(C, C),
            ``num_heads``, ``scale``, ``window_size``, ``relative_position_bias_table`` and
            ``relative_position_index`` (the layout of ``WindowAttention3D``).
        x (Tensor): (b, t, h, w, C), i.e. ``norm1(input)``.
        shift_size (tuple[int]): the block's (st, sh, sw).
        query_frame (int | None): compute the output of this frame only (keys and values still come from all
            frames): what the last block of IART's backbone needs, which keeps the centre frame alone.

    Returns:
        Tensor: (b, t, h, w, C), or (b, h, w, C) for ``query_frame``; to be added to the block input.
    """
    b, t, h, w, c = x.shape
    wt, wh, ww = attn.window_size
    pads = window_padding((t, h, w), attn.window_size)
    pad_t, pad_h, pad_w = pads
    if query_frame is not None and t + pad_t != wt:  # several windows along t: no per-frame shortcut
        return fused_shifted_window_attention(attn, x, shift_size)[:, query_frame]
    x = pad_clip(x, pads)
    padded = tuple(x.shape[1:4])
    n = wt * wh * ww
    rows = frame_query_rows(query_frame, attn.window_size)
    rolled = any(s % length for s, length in zip(shift_size, padded))
    perm, groups = _window_layout(b, padded, attn.window_size, shift_size)
    if not rolled and perm is None:
        # one window category and no roll: the plain partition/reverse permute copies beat row gathers
        windows = window_partition(x, attn.window_size)
        out = _grouped_attention(attn, windows, groups, tuple(shift_size), rows)
        if rows is None:
            out = window_reverse(out.view(windows.shape), attn.window_size, b, *padded)
            return out[:, :t, :h, :w] if pad_t or pad_h or pad_w else out
        out = window_reverse(out.view(windows.shape[0], -1, c), (1, wh, ww), b, 1, *padded[1:])[:, 0]
        return out[:, :h, :w] if pad_h or pad_w else out
    gather, scatter, groups = _token_layout(b, (t, h, w), padded, attn.window_size, shift_size, x.device)
    windows = x.reshape(-1, c).index_select(0, gather).view(-1, n, c)
    out = _grouped_attention(attn, windows, groups, tuple(shift_size), rows)
    if rows is None:
        return out.index_select(0, scatter).view(b, t, h, w, c)
    return out.index_select(0, frame_output_rows(scatter, (t, h, w), query_frame, attn.window_size)).view(b, h, w, c)

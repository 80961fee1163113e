"""``ImplicitWarp``: IART's implicit resampling aligner (window cross-attention with sub-pixel sine encodings).

Same numbers as the released ``ImplicitWarpModule`` (docs/release_differences.md, 'Implicit alignment';
checkpoint keys ``position_bias``, ``window_idx_offset``, ``q``, ``k``, ``v``) with a lean layout: K and V are projected once per neighbour pixel
(the key PE only adds a per-slot constant ``W_k pe_s``, so projection and gather commute), rows are gathered
channels-last with a flat (P, S) index, and the softmax/weighted sum never builds (pixels, window, C) tensors
(see ``window_attention.py``). Sampling coordinates are float32 even under autocast.
"""
import math

import torch
from mmagic.registry import MODELS
from torch import nn

from ...utils.compile_fallback import compile_with_fallback
from .contract import check_aligner_inputs, positive_int
from .window_attention import default_chunk, fused_query_block, window_attention

WINDOW_PLACEMENTS = ('official', 'centered')
PADDINGS = ('duplicate', 'zeros')


def _feature_divisors(num_feats, temperature, device):
    """(num_feats,) dim_t = T^(2 floor(j / 2) / F), computed as the release does."""
    dim_t = torch.arange(num_feats, dtype=torch.float32, device=device)
    return temperature**(2 * torch.div(dim_t, 2, rounding_mode='floor') / num_feats)


def _sine_positions(points, num_feats, temperature, normalizer):
    """(..., 2 * num_feats) angles [y / dim_t, x / dim_t] (times 2 pi / normalizer) and the (num_feats,) dim_t."""
    dim_t = _feature_divisors(num_feats, temperature, points.device)
    angles = (points / normalizer * (2 * math.pi))[..., None]
    # a fresh (..., 2F) tensor, not a view: callers add to it in place (also through autograd)
    pos = angles.new_empty((*points.shape[:-1], 2 * num_feats), dtype=torch.promote_types(angles.dtype,
                                                                                              dim_t.dtype))
    # division by dim_t (not multiplication by its inverse) keeps the release's last bits
    torch.div(angles, dim_t, out=pos.view(*points.shape[:-1], 2, num_feats))
    return pos, dim_t


class _SineEncoding(torch.autograd.Function):
    """The encoding with an analytic backward that saves only the points (autograd through the interleaving
    would keep the angles and zero-fill two (..., 2F) gradients per call)."""

    @staticmethod
    def forward(ctx, points, num_feats, temperature, normalizer):
        ctx.save_for_backward(points)
        ctx.args = (num_feats, temperature, normalizer)
        return sine_encoding(points, num_feats, temperature, normalizer)

    @staticmethod
    def backward(ctx, grad):
        (points, ) = ctx.saved_tensors
        num_feats, temperature, normalizer = ctx.args
        pos, dim_t = _sine_positions(points, num_feats, temperature, normalizer)
        deriv = torch.empty_like(pos)
        torch.cos(pos[..., 0::2], out=deriv[..., 0::2])  # d sin = cos
        torch.sin(pos[..., 1::2], out=deriv[..., 1::2]).neg_()  # d cos = -sin
        deriv.mul_(grad)
        grad_points = (deriv.unflatten(-1, (2, num_feats)) / dim_t).sum(-1) * (2 * math.pi / normalizer)
        return grad_points, None, None, None


def sine_encoding(points, num_feats, temperature, normalizer):
    """Interleaved sin/cos encoding of (y, x) points, y block first (bit-exact with the release's recipe).

    Args:
        points (Tensor): (..., 2) float32 as (y, x).
        num_feats (int): features per axis (pe_dim / 2), even.
        temperature (float): PE temperature.
        normalizer (float): points are divided by it, then multiplied by 2*pi.

    Returns:
        Tensor: (..., 2 * num_feats) float32.
    """
    if torch.is_grad_enabled() and points.requires_grad:
        return _SineEncoding.apply(points, num_feats, temperature, normalizer)
    # (..., 2, F) = [y / dim_t, x / dim_t] is already the output order; num_feats is even, so the interleaved
    # sin (even features) / cos (odd features) pattern is the parity of the flat feature index
    pe, _ = _sine_positions(points, num_feats, temperature, normalizer)
    pe[..., 0::2].sin_()  # in place: one buffer, no stack
    pe[..., 1::2].cos_()
    return pe


def even_feature_divisors(num_feats, temperature, device):
    """(num_feats / 2,) divisors of features 0, 2, 4, ... (features 2k and 2k+1 share one).

    Computed over all num_feats features as the release does, then subsampled: ``pow`` on a tensor of another
    length can differ in the last bit (vectorised body vs scalar tail).
    """
    return _feature_divisors(num_feats, temperature, device)[0::2].contiguous()


def sine_encoding_channels_first(points, num_feats, temperature, normalizer):
    """The same encoding as :func:`sine_encoding`, for inference, channels first and in a grouped order.

    Features 2k and 2k+1 of an axis share one angle (sin and cos of it), so the angles are computed once and
    sin/cos run on contiguous halves (~3x faster than on the stride-2 views); the values are bit-identical.

    Args:
        points (Tensor): (2, B) float32 as (y, x) rows.
        num_feats (int): features per axis (pe_dim / 2), even.
        temperature, normalizer (float): as in :func:`sine_encoding`.

    Returns:
        Tensor: (2, 2, num_feats // 2, B) as (kind, axis, k, B): kind 0 is the sin of feature 2k, kind 1 the cos
        of feature 2k+1; ``out.permute(1, 2, 0, 3)`` is the (axis, k, kind, B) = (pe_dim, B) encoding.
    """
    half = num_feats // 2
    dim_t = even_feature_divisors(num_feats, temperature, points.device)
    angles = (points / normalizer * (2 * math.pi))[:, None, :]  # (2, 1, B)
    out = points.new_empty((2, 2, half, points.shape[1]), dtype=torch.promote_types(points.dtype, dim_t.dtype))
    torch.div(angles, dim_t[:, None], out=out[0])
    torch.cos(out[0], out=out[1])
    out[0].sin_()
    return out


def _check(condition, message):
    if not condition:
        raise ValueError(f'ImplicitWarp: {message}')


@MODELS.register_module()
class ImplicitWarp(nn.Module):
    """Implicit resampling-based alignment (IART, CVPR 2024).

    Contract: ``forward(feat_neighbor, feat_current, flow) -> aligned``, all (n, c, h, w) with flow (n, 2, h, w),
    channel 0 = dx, channel 1 = dy in pixels, mapping a current-frame pixel to its position in the neighbour.

    Args:
        dim (int): feature channels C.
        num_heads (int): attention heads; must divide ``dim``.
        window_size (int): the window is ``window_size`` x ``window_size`` neighbour pixels (released: 2).
        pe_dim (int | None): PE width; a multiple of ``dim`` and of 4 (features are tiled pe_dim/dim times).
            None means ``dim`` (IART).
        pe_temp (float): PE temperature (IART: 0.01).
        qkv_bias (bool): biases of the q/k/v projections.
        qk_scale (float | None): logit scale; None means (dim / num_heads) ** -0.5.
        pe_keys (bool): add the slot PE to keys and values (release ``pe_wrp``).
        pe_queries (bool): add the sub-pixel offset PE to queries (release ``pe_x``).
        window_placement (str): ``'official'``: slots floor(p) .. floor(p)+ws-1 (release);
            ``'centered'``: slots start at floor(p - ws/2 + 1), so p sits in the middle cell (same as 'official'
            for ws=2). The query PE always encodes p minus the window's first slot.
        padding (str): ``'duplicate'``: slot coordinates clamped to the frame (release); ``'zeros'``: slots
            outside the frame read a zero feature (their PE is still added, as in the release's 'zero' mode,
            but with the release's h/w mix-up fixed).
        compile (bool): in inference, run each block's whole step (query PE and projection, gathers, softmax,
            weighted sum) as one ``torch.compile``-fused function (:func:`fused_query_block`); off by default
            (the first call compiles for several seconds and needs a C++ compiler on CPU). If compiling or
            running the graph fails, the module warns once and uses the eager path for good, which gives the
            same numbers to float32 rounding. Training always runs the eager blocked core.
        chunk (int | None): query pixels per cache-sized block of the attention core; None picks a default per
            device (2048 on CPU, see ``window_attention.default_chunk``). Results do not depend on it.
    """

    def __init__(self,
                 dim,
                 num_heads,
                 window_size=2,
                 pe_dim=None,
                 pe_temp=0.01,
                 qkv_bias=True,
                 qk_scale=None,
                 pe_keys=True,
                 pe_queries=True,
                 window_placement='official',
                 padding='duplicate',
                 compile=False,
                 chunk=None):
        super().__init__()
        pe_dim = dim if pe_dim is None else pe_dim
        positive_int('ImplicitWarp', 'dim', dim)
        _check(isinstance(num_heads, int) and num_heads > 0 and dim % num_heads == 0,
               f'num_heads must be a positive divisor of dim={dim}, got {num_heads!r}')
        _check(isinstance(window_size, int) and window_size >= 2, f'window_size must be an int >= 2, got '
               f'{window_size!r}')
        _check(isinstance(pe_dim, int) and pe_dim % dim == 0 and pe_dim % 4 == 0,
               f'pe_dim must be a multiple of dim={dim} and of 4, got {pe_dim!r}')
        _check(pe_temp > 0, f'pe_temp must be > 0, got {pe_temp!r}')
        _check(window_placement in WINDOW_PLACEMENTS,
               f'window_placement must be one of {WINDOW_PLACEMENTS}, got {window_placement!r}')
        _check(padding in PADDINGS, f'padding must be one of {PADDINGS}, got {padding!r}')
        _check(chunk is None or (isinstance(chunk, int) and chunk > 0), f'chunk must be a positive int or None, '
               f'got {chunk!r}')
        self.dim = dim
        self.num_heads = num_heads
        self.window_size = window_size
        self.pe_dim = pe_dim
        self.pe_temp = pe_temp
        self.scale = qk_scale or (dim // num_heads)**-0.5
        self.pe_keys = pe_keys
        self.pe_queries = pe_queries
        self.window_placement = window_placement
        self.padding = padding

        ys, xs = torch.meshgrid(torch.arange(window_size), torch.arange(window_size), indexing='ij')
        offsets = torch.stack((ys.flatten(), xs.flatten()), dim=1)  # (ws^2, 2) as (dy, dx), row-major
        # key PE: slot offsets normalised by ws-1 (the query PE uses ws: a release quirk kept for parity)
        self.register_buffer(
            'position_bias', sine_encoding(offsets.float(), pe_dim // 2, pe_temp, (window_size - 1) + 1e-6)[None])
        self.register_buffer('window_idx_offset', offsets)
        self.q = nn.Linear(pe_dim, dim, bias=qkv_bias)
        self.k = nn.Linear(pe_dim, dim, bias=qkv_bias)
        self.v = nn.Linear(pe_dim, dim, bias=qkv_bias)
        self.chunk = chunk
        self._fused = compile_with_fallback(fused_query_block, 'ImplicitWarp') if compile else None

    def extra_repr(self):
        return (f'dim={self.dim}, num_heads={self.num_heads}, window_size={self.window_size}, '
                f'pe_dim={self.pe_dim}, pe_temp={self.pe_temp}, pe_keys={self.pe_keys}, '
                f'pe_queries={self.pe_queries}, window_placement={self.window_placement!r}, '
                f'padding={self.padding!r}')

    @property
    def _window_shift(self):
        """How far before the sample the window's first cell starts: 0 for 'official', ws/2 - 1 for 'centered'."""
        return 0.0 if self.window_placement == 'official' else self.window_size / 2 - 1

    @property
    def _query_pe_normalizer(self):
        """The query PE divides offsets by ws (+1e-6), the key PE by ws - 1: a release quirk kept for parity."""
        return self.window_size + 1e-6

    def _scaled_query_projection(self):
        """(C, C) transposed query weight and (C,) bias (or None), both times the logit scale."""
        bias = None if self.q.bias is None else self.q.bias * self.scale
        return (self.q.weight * self.scale).t(), bias

    def _key_value(self, feat_neighbor):
        """(n, hw, C) K and V of every neighbour pixel: two half-size tables (inference), read channels-first
        through a transposed matmul (no channels-last copy of the features)."""
        n, c, h, w = feat_neighbor.shape
        nbr = feat_neighbor.reshape(n, c, h * w).transpose(1, 2)
        return tuple(torch.matmul(nbr, self._projection_weight(lin).t()) for lin in (self.k, self.v))

    def _channels_first_queries(self, device_type):
        """IART's query case (PE on, pe_dim == dim, no autocast), which the channels-first and fused paths cover."""
        return self.pe_queries and self.pe_dim == self.dim and not torch.is_autocast_enabled(device_type)

    def _window_index(self, flow, n, h, w):
        """Flat rows (P, S) of the window slots, their 0/1 mask (P, S) for zeros padding, and float32 offsets (P, 2)."""
        device = flow.device
        rows = torch.arange(h, dtype=flow.dtype, device=device).view(1, h, 1)
        cols = torch.arange(w, dtype=flow.dtype, device=device).view(1, 1, w)
        pos = torch.stack((rows + flow[:, 1], cols + flow[:, 0]), dim=-1)  # (n, h, w, 2) as (y, x)
        shift = self._window_shift
        base = torch.floor(pos - shift) if shift else torch.floor(pos)
        offset = (pos - base).reshape(-1, 2)  # differentiable w.r.t. the flow (the floor is constant)
        base = base.detach().long().reshape(-1, 1, 2) + self.window_idx_offset.to(device)  # (P, S, 2)
        slot_y, slot_x = base[..., 0], base[..., 1]
        mask = None
        if self.padding == 'zeros':
            mask = (slot_y >= 0) & (slot_y < h) & (slot_x >= 0) & (slot_x < w)
        batch = torch.arange(n, device=device).repeat_interleave(h * w).view(-1, 1) * (h * w)
        idx = batch + slot_y.clamp_(0, h - 1) * w + slot_x.clamp_(0, w - 1)
        # pixel-major (P, S): a block of pixels reads one contiguous index vector
        return idx, mask, offset

    def _projection_weight(self, linear):
        """Weight acting on C-channel features: the pe_dim/dim tiled copies fold into one block sum."""
        tiles = self.pe_dim // self.dim
        return linear.weight if tiles == 1 else linear.weight.view(self.dim, tiles, self.dim).sum(1)

    def _scaled_queries(self, x, offset):
        """Queries ``scale * q(x + PE(offset))``, built in place where autograd allows it.

        Args:
            x (Tensor): (..., C) current-frame features, channels last (any strides).
            offset (Tensor): (..., 2) float32 (y, x) position of the sample inside its window.

        Returns:
            Tensor: (..., C) scaled queries.
        """
        if not self.pe_queries:
            q = torch.nn.functional.linear(x, self._projection_weight(self.q), self.q.bias)
        else:
            q_pe = sine_encoding(offset, self.pe_dim // 2, self.pe_temp, self._query_pe_normalizer)
            if not torch.is_autocast_enabled(x.device.type):
                q_pe = q_pe.to(self.q.weight.dtype)  # a half-precision module gets a half PE
            if self.pe_dim == self.dim:
                q = self.q(q_pe.add_(x))  # x + PE, summed into the PE's fresh buffer
            else:
                q = torch.nn.functional.linear(x, self._projection_weight(self.q)) + self.q(q_pe)
        # the linear's backward needs its input, not its output, so scaling in place is autograd-safe
        return q.mul_(self.scale)

    def _block_query_fn(self, x, offset, n, hw):
        """Inference queries made block by block: ``queries(bi, p0, p1)`` -> (p1 - p0, C) scaled queries.

        Args:
            x (Tensor): (n, C, hw) current-frame features, channels first.
            offset (Tensor): (n * hw, 2) float32 (y, x) offsets inside the window.
        """
        if not self._channels_first_queries(x.device.type):
            def generic(bi, p0, p1):
                return self._scaled_queries(x[bi, :, p0:p1].t(), offset[bi * hw + p0:bi * hw + p1])

            return generic

        # IART's case: x + PE is summed channels first, where both x's rows and the grouped PE are contiguous
        # along the pixels, and the scale is folded into the projection (no extra pass over the queries)
        offset_cf = offset.t().contiguous()  # (2, n * hw)
        weight, bias = self._scaled_query_projection()
        c, half = self.dim, self.pe_dim // 4

        def channels_first(bi, p0, p1):
            pe = sine_encoding_channels_first(offset_cf[:, bi * hw + p0:bi * hw + p1], self.pe_dim // 2,
                                              self.pe_temp, self._query_pe_normalizer).to(x.dtype)
            q_in = torch.add(x[bi, :, p0:p1].view(2, half, 2, p1 - p0), pe.permute(1, 2, 0, 3)).view(c, -1)
            return torch.mm(q_in.t(), weight) if bias is None else torch.addmm(bias, q_in.t(), weight)

        return channels_first

    def _can_fuse(self, feat, flow):
        """The fused block covers IART's inference case: float32 features and flow, query PE on, pe_dim == dim,
        no autocast (anything else runs the eager path)."""
        return (not _needs_grad(self, feat, flow) and feat.dtype == torch.float32 and flow.dtype == torch.float32
                and self._channels_first_queries(feat.device.type))

    def _fused_blocks(self, feat_neighbor, feat_current, flow, k_bias, v_bias):
        """The whole inference step through the compiled :func:`fused_query_block`, block by block.

        Returns (n, C, h, w), or None if compiling failed (the caller then runs the eager path).
        """
        n, c, h, w = feat_current.shape
        hw = h * w
        chunk = self.chunk or default_chunk(feat_current.device)
        keys, values = self._key_value(feat_neighbor)
        x = feat_current.reshape(n, c, hw)
        flow = flow.reshape(n, 2, hw)
        pixels = torch.arange(hw, device=flow.device)
        dim_t = even_feature_divisors(self.pe_dim // 2, self.pe_temp, flow.device)
        weight, bias = self._scaled_query_projection()
        weight = weight.contiguous()
        geometry = (h, w, self._window_shift, self._query_pe_normalizer, self.padding == 'zeros')
        slot_offsets = self.window_idx_offset.to(flow.device)
        out = x.new_empty(x.shape)
        for bi in range(n):
            for p0 in range(0, hw, chunk):
                p1 = min(hw, p0 + chunk)
                ok, _ = self._fused(out[bi, :, p0:p1], x[bi, :, p0:p1], flow[bi, :, p0:p1], pixels[p0:p1],
                                    keys[bi], values[bi], weight, bias, k_bias, v_bias, dim_t, slot_offsets,
                                    geometry, self.num_heads)
                if not ok:
                    self._fused = None  # compiling failed: the eager path from now on
                    return None
        return out.view(n, c, h, w)

    def forward(self, feat_neighbor, feat_current, flow):
        """Align ``feat_neighbor`` to ``feat_current``.

        Args:
            feat_neighbor (Tensor): (n, C, h, w), gives keys and values.
            feat_current (Tensor): (n, C, h, w), gives one query per pixel.
            flow (Tensor): (n, 2, h, w), current -> neighbour, ch0 = dx, ch1 = dy, pixels.

        Returns:
            Tensor: (n, C, h, w) in the features' dtype (or autocast's).
        """
        check_aligner_inputs('ImplicitWarp', feat_neighbor, feat_current, flow, self.dim)
        n, c, h, w = feat_current.shape
        out_dtype = feat_neighbor.dtype
        if not torch.is_autocast_enabled(feat_current.device.type) and out_dtype != self.q.weight.dtype:
            feat_neighbor = feat_neighbor.to(self.q.weight.dtype)
            feat_current = feat_current.to(self.q.weight.dtype)

        pe = self.position_bias[0]
        pe = pe if self.pe_keys else torch.zeros_like(pe)
        k_bias, v_bias = self.k(pe), self.v(pe)  # (S, C) per-slot constants: projected slot PE plus bias
        if self._fused is not None and self._can_fuse(feat_current, flow):
            out = self._fused_blocks(feat_neighbor, feat_current, flow, k_bias, v_bias)
            if out is not None:
                return out.to(out_dtype)

        # coordinates in float32 at least, whatever the features' dtype (float64 stays float64 for gradcheck)
        coord_dtype = torch.float64 if flow.dtype == torch.float64 else torch.float32
        idx, mask, offset = self._window_index(flow.to(coord_dtype), n, h, w)
        x = feat_current.reshape(n, c, h * w)

        # keys/values: projected once per neighbour pixel, read channels-first through a transposed matmul (no
        # channels-last copy); one [K | V] tensor in training (one scatter of row gradients), separate K and V
        # in inference (two half-size allocations that glibc can reuse from call to call)
        if _needs_grad(self, feat_neighbor, feat_current, flow):
            w_kv = torch.cat((self._projection_weight(self.k), self._projection_weight(self.v)))
            nbr = feat_neighbor.reshape(n, c, h * w).transpose(1, 2)
            kv = torch.matmul(nbr, w_kv.t()).reshape(n * h * w, 2 * c)
            queries = self._scaled_queries(x.transpose(1, 2), offset.view(n, h * w, 2)).reshape(-1, c).to(kv.dtype)
            dtype = kv.dtype
        else:
            kv = tuple(t.reshape(n * h * w, c) for t in self._key_value(feat_neighbor))
            # each block's queries are made when the block runs, so no (P, C) query, PE or channels-last copy of
            # the current features is ever allocated
            queries = self._block_query_fn(x, offset, n, h * w)
            dtype = kv[0].dtype
        k_bias, v_bias = k_bias.to(dtype), v_bias.to(dtype)

        out = window_attention(queries, kv, idx, k_bias, v_bias, mask, self.num_heads, n, self.chunk)
        del queries, kv
        return out.view(n, c, h, w).to(out.dtype if torch.is_autocast_enabled(feat_current.device.type) else out_dtype)


def _needs_grad(module, *inputs):
    """True when autograd will record the forward (grad mode and any input or parameter requiring grad)."""
    return torch.is_grad_enabled() and (any(t.requires_grad for t in inputs)
                                        or any(p.requires_grad for p in module.parameters()))

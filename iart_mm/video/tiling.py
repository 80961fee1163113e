"""Spatial tiling with overlap and feathered blending, for frames too large to restore in one pass.

Tiles are cut in LR space; in every overlap the HR outputs of neighbouring tiles are blended with linear
ramps, so no seam shows and a pointwise model gives exactly the untiled result.
"""
from typing import Callable, List

import torch


def tile_starts(size: int, tile: int, overlap: int) -> List[int]:
    """Start offsets of tiles of length ``tile`` covering ``size`` with at least ``overlap`` shared pixels."""
    if tile >= size:
        return [0]
    if not 0 <= overlap < tile:
        raise ValueError(f'tile overlap must be in [0, tile={tile}), got {overlap}')
    step = tile - overlap
    starts = list(range(0, size - tile, step))
    starts.append(size - tile)  # the last tile ends at the border
    return starts


def _ramp(length: int, ramp_in: int, ramp_out: int, device) -> torch.Tensor:
    """1-D weight: rises over ``ramp_in`` samples, falls over the last ``ramp_out``, 1 elsewhere (> 0)."""
    weight = torch.ones(length, device=device)
    pos = torch.arange(length, device=device, dtype=torch.float32)
    if ramp_in > 0:
        weight = torch.minimum(weight, (pos + 0.5) / ramp_in)
    if ramp_out > 0:
        weight = torch.minimum(weight, (length - pos - 0.5) / ramp_out)
    return weight


def tiled_forward(fn: Callable[[torch.Tensor], torch.Tensor], lq: torch.Tensor, tile: int,
                  overlap: int, keep: slice = slice(None)) -> torch.Tensor:
    """Run ``fn`` on overlapping spatial tiles of ``lq`` and blend the outputs.

    Args:
        fn: maps (n, t, c, th, tw) to (n, t, c', th*s, tw*s) for an integer scale s.
        lq: (n, t, c, h, w).
        tile: LR tile size (square); a frame no larger than ``tile`` goes through in one call.
        overlap: LR pixels shared by neighbouring tiles.
        keep: the frames (along t) whose outputs are wanted; only they are accumulated, so the HR buffer
            holds the kept frames of a temporal window, not its context frames.

    Returns:
        (n, t_kept, c', h*s, w*s) float32.
    """
    h, w = lq.shape[-2:]
    ys, xs = tile_starts(h, tile, overlap), tile_starts(w, tile, overlap)
    if len(ys) == 1 and len(xs) == 1:
        return fn(lq)[:, keep].float()
    out = weight_sum = None
    scale = None
    for y in ys:
        for x in xs:
            th, tw = min(tile, h - y), min(tile, w - x)
            part = fn(lq[..., y:y + th, x:x + tw])[:, keep].float()
            if out is None:
                scale = part.shape[-1] // tw
                out = part.new_zeros(*part.shape[:-2], h * scale, w * scale)
                weight_sum = part.new_zeros(h * scale, w * scale)
            # ramps only on sides shared with a neighbour; the frame border keeps weight 1
            ramp = overlap * scale
            wy = _ramp(th * scale, ramp if y > 0 else 0, ramp if y + th < h else 0, part.device)
            wx = _ramp(tw * scale, ramp if x > 0 else 0, ramp if x + tw < w else 0, part.device)
            weight = wy[:, None] * wx[None, :]
            region = (slice(y * scale, (y + th) * scale), slice(x * scale, (x + tw) * scale))
            out[..., region[0], region[1]] += part * weight
            weight_sum[region] += weight
    return out / weight_sum

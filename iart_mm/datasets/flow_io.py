"""Optical-flow file I/O and flow resizing (Middlebury ``.flo``, as shipped with MPI-Sintel).

A ``.flo`` file is little-endian: the float32 magic 202021.25 (bytes ``PIEH``), int32 width, int32 height,
then height*width*2 float32 values, row-major, interleaved (u, v) = (dx, dy) in pixels.
Arrays returned here are (h, w, 2) float32 with channel 0 = dx (width) and channel 1 = dy (height);
``flow_to_tensor`` gives the project's (n, 2, h, w) layout.
"""
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

FLO_MAGIC = 202021.25


def read_flo(path):
    """Read a Middlebury ``.flo`` file.

    Args:
        path (str | Path): the file.

    Returns:
        np.ndarray: (h, w, 2) float32, channel 0 = dx, channel 1 = dy, pixels.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: wrong magic number, impossible size, or truncated data.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'flow file not found: {path}')
    raw = path.read_bytes()
    if len(raw) < 12:
        raise ValueError(f'{path}: too short for a .flo header ({len(raw)} bytes)')
    magic = np.frombuffer(raw, '<f4', count=1)[0]
    if magic != np.float32(FLO_MAGIC):
        raise ValueError(f'{path}: not a .flo file (magic {magic!r}, expected {FLO_MAGIC})')
    w, h = (int(v) for v in np.frombuffer(raw, '<i4', count=2, offset=4))
    if w <= 0 or h <= 0 or w * h > 1 << 28:
        raise ValueError(f'{path}: impossible flow size {w}x{h}')
    expected = 12 + 8 * w * h
    if len(raw) != expected:
        raise ValueError(f'{path}: {len(raw)} bytes, expected {expected} for a {w}x{h} flow')
    return np.frombuffer(raw, '<f4', count=2 * w * h, offset=12).reshape(h, w, 2).astype(np.float32)


def write_flo(path, flow):
    """Write a (h, w, 2) flow (channel 0 = dx) as a Middlebury ``.flo`` file."""
    flow = np.asarray(flow, dtype=np.float32)
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f'flow must be (h, w, 2), got shape {flow.shape}')
    h, w = flow.shape[:2]
    with open(path, 'wb') as f:
        f.write(np.array([FLO_MAGIC], '<f4').tobytes())
        f.write(np.array([w, h], '<i4').tobytes())
        f.write(flow.astype('<f4').tobytes())


def flow_to_tensor(flow):
    """(h, w, 2) numpy flow -> (1, 2, h, w) float32 tensor (channel 0 = dx)."""
    return torch.from_numpy(np.ascontiguousarray(flow.transpose(2, 0, 1)))[None].float()


def downscale_flow(flow, scale):
    """Flow of a frame downscaled by an integer ``scale``: area-average, then divide by ``scale``.

    Args:
        flow (Tensor): (n, 2, h, w) in pixels of the full-size frame; h and w multiples of ``scale``.
        scale (int): downscaling factor.

    Returns:
        Tensor: (n, 2, h // scale, w // scale) in pixels of the small frame. This is an approximation
        wherever the flow is not constant inside a scale x scale block (motion boundaries).
    """
    n, c, h, w = flow.shape
    if c != 2 or h % scale or w % scale:
        raise ValueError(f'flow must be (n, 2, h, w) with h, w multiples of {scale}, got {tuple(flow.shape)}')
    return F.avg_pool2d(flow, scale) / scale

"""Temporal chunking of a frame stream into overlapping windows.

Each window holds a *core* of up to ``chunk`` frames plus up to ``context`` frames on each side. The
model sees the whole window; only the core outputs are kept, so every frame is emitted exactly once, in
order, and a recurrent model still has ``context`` frames of history and future at chunk boundaries.
At most ``chunk + 2 * context`` input frames are buffered, whatever the length of the stream.
"""
from dataclasses import dataclass
from typing import Iterable, Iterator, List, Optional


@dataclass
class Window:
    """``items``: the frames fed to the model; ``items[core_start:core_stop]`` are the ones to keep."""
    items: List
    core_start: int
    core_stop: int

    @property
    def core(self):
        return self.items[self.core_start:self.core_stop]


def iter_windows(frames: Iterable, chunk: Optional[int], context: int) -> Iterator[Window]:
    """Split ``frames`` (any iterable, read lazily) into overlapping windows.

    Args:
        chunk: frames kept per window; None or 0 takes the whole stream as one window (no bound on memory).
        context: frames of overlap on each side whose outputs are discarded (>= 0).
    """
    if context < 0:
        raise ValueError(f'context must be >= 0, got {context}')
    if chunk is not None and chunk < 0:
        raise ValueError(f'chunk must be >= 1 (or 0/None for the whole clip), got {chunk}')
    if not chunk:
        items = list(frames)
        if items:
            yield Window(items, 0, len(items))
        return
    iterator = iter(frames)
    buffer: List = []  # frames with stream index buffer_start .. buffer_start + len(buffer) - 1
    buffer_start = 0
    start = 0  # stream index of the next core frame
    exhausted = False
    while True:
        while not exhausted and buffer_start + len(buffer) < start + chunk + context:
            try:
                buffer.append(next(iterator))
            except StopIteration:
                exhausted = True
        available = buffer_start + len(buffer)
        if start >= available:
            return
        lo = max(buffer_start, start - context)
        stop = min(available, start + chunk)
        hi = min(available, start + chunk + context)
        yield Window(buffer[lo - buffer_start:hi - buffer_start], start - lo, stop - lo)
        start = stop
        # drop what no later window can need (before the next window's left context)
        drop = max(0, start - context - buffer_start)
        del buffer[:drop]
        buffer_start += drop

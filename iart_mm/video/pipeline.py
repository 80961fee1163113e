"""The streaming loop: decode -> temporal windows -> (tiles) -> model -> encode, one window at a time.

Peak memory is set by the window length (``chunk + 2 * context`` frames) and the tile size, not by the
length of the video.
"""
import logging
from typing import Callable, Iterable, List, Optional

import numpy as np
import torch

from .chunking import iter_windows
from .errors import VideoInterrupted
from .interrupts import InterruptGuard
from .padding import crop_output, pad_to_min_size
from .precision import PrecisionRunner
from .progress import FrameProgress, logs_above_bar
from .tiling import tiled_forward

logger = logging.getLogger(__name__)


class WindowRestorer:
    """Super-resolve a window of RGB uint8 frames and return the kept ones as RGB uint8.

    Args:
        generator: maps (n, t, 3, h, w) float32 in [0, 1] on ``device`` to (n, t, 3, s*h, s*w): an
            ``nn.Module`` (e.g. BasicVSRNet, s = 4; moved to ``device`` and run at ``precision``) or any
            other callable with that contract (another runtime's session), called as it is.
        device: where the input tensors are placed (and a module is moved).
        precision: 'fp32' | 'fp16' | 'bf16' for a module (half precision falls back to fp32 on NaN/inf).
        tile: LR tile size, or None for whole frames; must be >= ``min_size`` when set.
        tile_overlap: LR pixels shared by neighbouring tiles (blended with feathered weights).
        min_size: smallest h, w the model accepts; smaller frames/tiles are padded and the output cropped.
    """

    def __init__(self, generator: torch.nn.Module, device, precision='fp32', tile: Optional[int] = None,
                 tile_overlap: int = 16, min_size: int = 64):
        if tile is not None and tile < min_size:
            raise ValueError(f'tile {tile} is below the model minimum size {min_size}')
        if tile is not None and not 0 <= tile_overlap < tile:
            raise ValueError(f'tile overlap must be in [0, tile={tile}), got {tile_overlap}')
        self.device = torch.device(device)
        if isinstance(generator, torch.nn.Module):
            generator = generator.to(self.device).eval()
            self.runner = PrecisionRunner(generator, self.device, precision)
        else:
            self.runner = generator
        self.generator = generator
        self.tile, self.tile_overlap, self.min_size = tile, tile_overlap, min_size
        self._warned_padding = False

    def _restore(self, lq: torch.Tensor) -> torch.Tensor:
        padded, size = pad_to_min_size(lq, self.min_size)
        if padded is not lq and not self._warned_padding:
            logger.info('frames/tiles of %dx%d are padded to the model minimum %d', size[1], size[0],
                        self.min_size)
            self._warned_padding = True
        out = self.runner(padded)
        return crop_output(out, size, out.shape[-1] // padded.shape[-1])

    @property
    def fell_back(self) -> bool:
        """Whether half precision gave NaN/inf and the run went on in fp32."""
        return bool(getattr(self.runner, 'fell_back', False))

    def warm_up(self):
        """One small forward (2 frames at the minimum size): one-off setup costs of the first call
        (kernel selection, allocator growth, lazy loading) are paid here, not by the first window.
        A callable model with a ``warm_up()`` method of its own (e.g. one that only takes a fixed
        number of frames) is warmed up by that instead."""
        own = getattr(self.runner, 'warm_up', None)
        if callable(own):
            own()
            return
        size = max(self.min_size, 16)
        self.restore_tensor(torch.full((1, 2, 3, size, size), 0.5, device=self.device))

    def restore_tensor(self, lq: torch.Tensor, keep: slice = slice(None)) -> torch.Tensor:
        """(n, t, 3, h, w) float in [0, 1] -> (n, t_kept, 3, s*h, s*w) float32 for the frames ``keep``
        selects (all by default), tiled if configured."""
        if lq.shape[1] == 1:  # flow-based models need a neighbour: a still pair gives zero motion
            return self.restore_tensor(lq.repeat(1, 2, 1, 1, 1), slice(0, 1))[:, keep]
        if self.tile is None:
            return self._restore(lq)[:, keep]
        return tiled_forward(self._restore, lq, self.tile, self.tile_overlap, keep=keep)

    def __call__(self, frames: List[np.ndarray], keep: slice) -> np.ndarray:
        """``frames``: RGB uint8 (h, w, 3) each; returns the outputs of ``frames[keep]``, (k, H, W, 3) uint8."""
        lq = torch.from_numpy(np.stack(frames)).to(self.device)
        lq = lq.permute(0, 3, 1, 2).float().div_(255).unsqueeze(0)
        out = self.restore_tensor(lq, keep)[0]
        out = out.clamp_(0, 1).mul_(255).round_().to(torch.uint8)
        return out.permute(0, 2, 3, 1).cpu().numpy()


def run_stream(frames: Iterable, restorer: Callable, make_sink: Callable, chunk: Optional[int],
               context: int, total: Optional[int] = None, progress: bool = True, total_exact: bool = True,
               guard: Optional[InterruptGuard] = None):
    """Stream ``frames`` (SourceFrame items) through ``restorer`` into a sink.

    ``make_sink(width, height)`` is called once the first output frame exists (its size sets the
    encoder's). ``total`` (``total_exact`` False: an estimate) sizes the progress bar. Writing a frame and
    closing the sink happen under ``guard.hold()``, so Ctrl-C never leaves a frame half written.

    Returns ``(sink, frames_written)``; sink is None when no frame was produced. On Ctrl-C the sink is
    closed as an incomplete but playable file and :class:`VideoInterrupted` (a KeyboardInterrupt) is
    raised with the number of frames it holds.
    """
    guard = guard if guard is not None else InterruptGuard()  # not entered: holds are bookkeeping only
    sink = None
    written = 0
    complete = False
    bar = FrameProgress(total, exact=total_exact, enabled=progress)
    try:
        with logs_above_bar(progress):
            for window in iter_windows(frames, chunk, context):
                hr = restorer([f.rgb for f in window.items], slice(window.core_start, window.core_stop))
                for frame, rgb in zip(window.core, hr):
                    with guard.hold():
                        if sink is None:
                            sink = make_sink(rgb.shape[1], rgb.shape[0])
                        sink.write(rgb, frame.pts)
                        written += 1
                # one update per window: its frames are all done at once, and a rate taken from the
                # first of them alone would be a window's time per frame
                bar.update(len(hr))
        complete = True
        bar.finish(written)
    except KeyboardInterrupt:
        guard.ignore_further()
        raise VideoInterrupted(written) from None
    finally:
        with guard.hold(drop=True):
            bar.close()
            if sink is not None:
                _close_sink(sink, complete)
    return sink, written


def _close_sink(sink, complete):
    if complete:
        sink.close(complete=True)
        return
    try:  # already unwinding an exception/interrupt: never mask it with a close error
        sink.close(complete=False)
    except Exception as exc:  # noqa: BLE001
        logger.warning('could not finish the partial output cleanly: %s', exc)

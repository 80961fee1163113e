"""Device selection (cuda, then mps, then cpu) and reduced-precision inference with an fp32 fallback.

Half precision runs under ``torch.autocast`` so the weights stay fp32; when an output holds NaN/inf
(fp16 overflow is the usual cause) the same input is run again in fp32, and fp32 is used from then on.
"""
import logging
from typing import Optional

import torch

from .errors import VideoError

logger = logging.getLogger(__name__)

PRECISIONS = {'fp32': None, 'fp16': torch.float16, 'bf16': torch.bfloat16}


def select_device(requested: Optional[str] = None) -> torch.device:
    """``requested`` ('cuda', 'cuda:1', 'mps', 'cpu') if usable, else the first of cuda, mps, cpu."""
    if requested:
        device = torch.device(requested)
        if device.type == 'cuda' and not torch.cuda.is_available():
            raise VideoError(f'device {requested!r} requested but CUDA is not available')
        if device.type == 'mps' and not _mps_available():
            raise VideoError(f'device {requested!r} requested but MPS is not available')
        return device
    if torch.cuda.is_available():
        return torch.device('cuda')
    if _mps_available():
        return torch.device('mps')
    return torch.device('cpu')


def _mps_available():
    backend = getattr(torch.backends, 'mps', None)
    return bool(backend is not None and backend.is_available())


class PrecisionRunner:
    """Call ``generator`` on (n, t, 3, h, w) float32 input at ``precision`` ('fp32' | 'fp16' | 'bf16').

    Returns float32 output. ``fell_back`` tells whether a non-finite half-precision output forced fp32.
    """

    def __init__(self, generator: torch.nn.Module, device: torch.device, precision: str = 'fp32'):
        if precision not in PRECISIONS:
            raise VideoError(f'unknown precision {precision!r}; choose one of {", ".join(PRECISIONS)}')
        self.generator = generator
        self.device = torch.device(device)
        self.dtype = PRECISIONS[precision]
        self.fell_back = False
        if self.dtype is not None and self.device.type == 'cpu':
            logger.warning('%s on cpu runs through CPU autocast: it is meant for GPUs and may be slow',
                           precision)

    @torch.no_grad()
    def __call__(self, lq: torch.Tensor) -> torch.Tensor:
        if self.dtype is not None:
            with torch.autocast(device_type=self.device.type, dtype=self.dtype):
                out = self.generator(lq)
            out = out.float()
            if torch.isfinite(out).all():
                return out
            logger.warning('non-finite output in %s: falling back to fp32 for the rest of the video',
                           str(self.dtype).replace('torch.', ''))
            self.dtype = None
            self.fell_back = True
        return self.generator(lq).float()

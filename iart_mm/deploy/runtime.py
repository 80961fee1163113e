"""Run an iart_mm ONNX export in ONNX Runtime behind the generator interface of the PyTorch networks.

:class:`OnnxGenerator` is an ``nn.Module`` whose forward maps (n, t, 3, h, w) RGB in [0, 1] to
(n, t, 3, s*h, s*w), so the video pipeline and MMagic's editors call it as they call a network.
"""
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn as nn

from . import metadata
from .metadata import OnnxModelError

#: short names accepted by ``--providers`` (the full ONNX Runtime names are accepted too)
PROVIDER_ALIASES = {
    'cpu': 'CPUExecutionProvider',
    'cuda': 'CUDAExecutionProvider',
    'tensorrt': 'TensorrtExecutionProvider',
    'trt': 'TensorrtExecutionProvider',
    'openvino': 'OpenVINOExecutionProvider',
    'dml': 'DmlExecutionProvider',
    'coreml': 'CoreMLExecutionProvider',
}


def resolve_providers(providers: Optional[Sequence[str]]):
    """Full ONNX Runtime provider names for ``providers`` (short or full names; None: CPU only).

    Raises OnnxModelError naming a provider this onnxruntime build lacks.
    """
    import onnxruntime as ort
    if not providers:
        return ['CPUExecutionProvider']
    available = ort.get_available_providers()
    names = []
    for p in providers:
        name = PROVIDER_ALIASES.get(p.strip().lower(), p.strip())
        if name not in available:
            raise OnnxModelError(f'execution provider {p!r} is not available in this onnxruntime '
                                 f'(available: {", ".join(available)}); install onnxruntime-gpu for CUDA/TensorRT')
        names.append(name)
    return names


class OnnxGenerator(nn.Module):
    """An iart_mm ONNX export in an ONNX Runtime session, called like the network it came from.

    Args:
        path (str | Path): the .onnx file (its iart_mm metadata is required).
        providers (Sequence[str] | None): execution providers in order of preference (default CPU).
        threads (int | None): intra-op threads (default: ONNX Runtime's, one per core).

    Attributes:
        meta (dict): the file's metadata (see :mod:`.metadata`); ``scale`` and ``min_size`` as ints.
    """

    def __init__(self, path, providers=None, threads=None):
        super().__init__()
        import onnxruntime as ort
        self.meta = metadata.read(path)
        self.path = str(path)
        self.scale = int(self.meta['scale'])
        self.min_size = int(self.meta['min_size'])
        self.providers = resolve_providers(providers)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(self.path, options, providers=self.providers)
        self._input, self._output = self.meta['input'], self.meta['output']
        # a device anchor for callers that ask a generator where it lives (outputs come back on the CPU)
        self.register_buffer('_anchor', torch.zeros(()), persistent=False)

    def check_input(self, shape):
        """One-line OnnxModelError when (n, t, 3, h, w) cannot run in this model."""
        if len(shape) != 5 or shape[2] != 3:
            raise OnnxModelError(f'expected an (n, t, 3, h, w) clip, got shape {tuple(shape)}')
        h, w = shape[-2:]
        if h < self.min_size or w < self.min_size:
            raise OnnxModelError(f'frames of {w}x{h} px are below the minimum {self.min_size}x{self.min_size} of '
                                 f'{self.path} ({self.meta["network"]})')
        frames = self.meta['frames']
        if frames != 'dynamic' and shape[1] != int(frames):
            raise OnnxModelError(f'{self.path} runs clips of exactly {frames} frames, got {shape[1]}')
        if shape[1] < 2:
            raise OnnxModelError(f'{self.meta["network"]} needs at least 2 frames, got {shape[1]}')

    def run_numpy(self, lrs: np.ndarray) -> np.ndarray:
        """(n, t, 3, h, w) float32 in [0, 1] -> (n, t, 3, s*h, s*w) float32 (not clamped)."""
        self.check_input(lrs.shape)
        lrs = np.ascontiguousarray(lrs, dtype=np.float32)
        # the graph's batch is 1: clips of a batch run one after another
        outs = [self.session.run([self._output], {self._input: lrs[i:i + 1]})[0] for i in range(lrs.shape[0])]
        return outs[0] if len(outs) == 1 else np.concatenate(outs)

    @torch.no_grad()
    def forward(self, lrs: torch.Tensor) -> torch.Tensor:
        """(n, t, 3, h, w) RGB in [0, 1] (any device) -> (n, t, 3, s*h, s*w) float32 on the input's device."""
        out = self.run_numpy(lrs.detach().float().cpu().numpy())
        return torch.from_numpy(out).to(lrs.device)

    def extra_repr(self):
        return f'{self.path}, network={self.meta["network"]}, providers={self.providers}'

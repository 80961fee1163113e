"""The fused CPU window-attention op (``csrc/window_attention_cpu.cpp``): loading it, and when to use it.

``setup.py`` builds it at install (x86-64 Linux, torch importable at build time); it runs where the CPU has
AVX-512F. Where it is missing or cannot run, :func:`fused_window_attention_usable` is False and the networks
call ``torch.nn.functional.scaled_dot_product_attention`` instead; both give the release's function up to float
rounding. ``IART_MM_CPU_ATTENTION=0`` in the environment, or :func:`cpu_window_attention_enabled`, switches the
op off (for comparisons and debugging). The library is loaded, and the variable read, on first use, not at import.

Conventions (one window category, i.e. one additive mask shared by all windows of the call):
q (W, H, Nq, D), k and v (W, H, N, D), float32 with unit stride on D (views of a qkv projection are);
``mask_t`` (1 or H, N, Nq), the additive mask (bias + shift mask) transposed, contiguous;
the output (W, Nq, H, D), token-major (heads concatenated per token), which is what ``proj`` reads.
"""
import contextlib
import os
from pathlib import Path

import torch

from ..utils.compile_fallback import is_compiling

SUPPORTED_HEAD_DIMS = (8, 12, 16, 20, 24, 32)
_ENV = 'IART_MM_CPU_ATTENTION'
# 'enabled': None until cpu_window_attention_enabled() sets it; the environment decides meanwhile
_state = {'loaded': None, 'why': '', 'enabled': None}


def _load():
    """Load the compiled library once; record why not where it cannot be used."""
    if _state['loaded'] is not None:
        return _state['loaded']
    libs = sorted(Path(__file__).parent.glob('_window_attention_cpu*.so'))
    if not libs:
        _state['loaded'], _state['why'] = False, 'not built (see setup.py)'
        return False
    try:
        torch.ops.load_library(str(libs[0]))
        ok = bool(torch.ops.iart_mm.window_attention_supported())
        why = '' if ok else 'this CPU lacks AVX-512F'
    except (OSError, RuntimeError) as err:  # e.g. built against another torch
        ok, why = False, f'cannot be loaded: {err}'.splitlines()[0]
    _state['loaded'], _state['why'] = ok, why
    return ok


def cpu_window_attention_status():
    """(usable, reason): whether the op is loaded, runs on this CPU and is switched on, and if not, why."""
    if not _load():
        return False, _state['why']
    enabled = _state['enabled']
    if enabled is None:
        enabled = os.environ.get(_ENV, '1') != '0'
    if not enabled:
        return False, f'switched off ({_ENV}=0 or cpu_window_attention_enabled(False))'
    return True, ''


@contextlib.contextmanager
def cpu_window_attention_enabled(enabled):
    """Switch the op on or off inside a ``with`` block (e.g. to compare it with SDPA in one process)."""
    previous = _state['enabled']
    _state['enabled'] = bool(enabled)
    try:
        yield
    finally:
        _state['enabled'] = previous


def fused_window_attention_supports(device, dtype, nq, head_dim):
    """True when the op is usable and takes this case: float32 on CPU, ``nq`` queries a multiple of 16, the
    head dim compiled, and not under ``torch.compile`` (inductor would have to trace an opaque op)."""
    return (torch.device(device).type == 'cpu' and dtype == torch.float32 and nq % 16 == 0
            and head_dim in SUPPORTED_HEAD_DIMS and not is_compiling() and cpu_window_attention_status()[0])


def fused_window_attention_usable(q, k):
    """True when :func:`window_attention_into` takes these q (W, H, Nq, D) and k (W, H, N, D): supported (above),
    no autograd (the op has no backward) and unit stride on D."""
    return (not torch.is_grad_enabled() and q.stride(3) == 1 and k.stride(3) == 1
            and fused_window_attention_supports(q.device, q.dtype, q.shape[2], q.shape[3]))


def window_attention_into(q, k, v, mask_t, scale, out):
    """out <- softmax(scale * q k^T + mask) v, for every window and head (shapes in the module docstring).

    Call only where :func:`fused_window_attention_usable` is True. Returns ``out``.
    """
    torch.ops.iart_mm.window_attention_(q, k, v, mask_t, float(scale), out)
    return out


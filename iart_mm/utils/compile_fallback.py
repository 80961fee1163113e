"""``torch.compile`` for optional fast paths that must never change results or fail a run.

The compiled path of this package (``ImplicitWarp(compile=True)``) computes the same function as its eager
code. Compiling can still fail where users run it (no C++ compiler
for inductor on CPU, an unsupported backend or device), so a failure warns once and the caller switches to
the eager path for good.
"""
import warnings

import torch


def _dynamo_is_compiling():
    from torch import _dynamo  # torch < 2.3: imported on first use only (it takes ~0.4 s)
    return _dynamo.is_compiling()


# Resolved once: the check runs on every block and linear call of the inference path.
_IS_COMPILING = getattr(getattr(torch, 'compiler', None), 'is_compiling', None) or _dynamo_is_compiling


def is_compiling():
    """True while ``torch.compile`` traces the caller (eager-only kernels then take their plain torch path)."""
    return _IS_COMPILING()


def compile_with_fallback(fn, what):
    """``torch.compile(fn, dynamic=False)`` that reports failure instead of raising.

    Args:
        fn (callable): the function to compile.
        what (str): what it is, for the warning (e.g. ``'IAPSRTRecurrentNet backbone'``).

    Returns:
        callable: ``run(*args)`` -> ``(True, fn's result)``, or ``(False, None)`` after a warning when compiling
        or running the graph raised. The caller then runs its eager path and stops calling ``run``.
    """
    compiled = torch.compile(fn, dynamic=False)

    def run(*args):
        try:
            return True, compiled(*args)
        except Exception as exc:  # noqa: BLE001  (any backend failure: the caller switches to the eager path)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ''
            warnings.warn(f'{what}: torch.compile failed ({type(exc).__name__}: {first[:200]}); '
                          'running the eager path from now on', RuntimeWarning, stacklevel=2)
            return False, None

    return run

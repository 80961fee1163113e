"""Loading MMEngine checkpoints under torch >= 2.6, whose ``torch.load`` defaults to ``weights_only=True``.

Weights-only loading stays on: instead of switching it off globally, the few non-tensor types that MMEngine
writes into a checkpoint (the message hub's ``HistoryBuffer`` with its numpy arrays, numpy scalars and
dtypes, ``OrderedDict``) are allow-listed with ``torch.serialization.add_safe_globals``. Anything else in a
file still fails to load, which is the point of weights-only loading.
"""
import collections

import numpy as np
import torch


def _numpy_globals():
    """The numpy reconstruction helpers and dtype classes that pickled arrays and scalars reference."""
    out = [np.ndarray, np.dtype]
    try:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
    out += [_reconstruct, scalar]
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        out += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')]
    return out


def mmengine_safe_globals():
    """Every non-tensor type an MMEngine ``Runner`` checkpoint of an iart_mm model contains."""
    from mmengine.logging.history_buffer import HistoryBuffer
    return [HistoryBuffer, collections.OrderedDict, collections.defaultdict] + _numpy_globals()


def register_safe_globals():
    """Allow-list MMEngine's checkpoint types for weights-only ``torch.load`` (no-op on torch < 2.4)."""
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is not None:
        add(mmengine_safe_globals())

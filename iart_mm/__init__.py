"""iart_mm: IART (CVPR 2024) implicit resampling-based alignment for video super-resolution on MMagic.

Importing this package registers every aligner, network, model, transform, hook and metric of the project
into MMagic's registries (``mmagic.registry``), so configs reach them through
``custom_imports = dict(imports=['iart_mm'], allow_failed_imports=False)``.

It does nothing else to the process: the garbage collector, the environment, the warnings filters and
``torch.load``'s allow-list are as the import found them, and the optional compiled op loads on first use.
Process tuning for a program that owns its process is in ``tools/tool_entry.py``.
"""
import warnings

from .version import __version__  # noqa: F401

with warnings.catch_warnings():
    # transformers/diffusers, which `import mmagic.models` pulls in, use a torch API deprecated in 2.2+;
    # the filter is scoped to this import and the user's filters are restored after it
    warnings.filterwarnings('ignore', message='.*_register_pytree_node.*', category=FutureWarning)
    import mmagic.models  # noqa: F401
from . import datasets, engine, evaluation, models  # noqa: E402,F401  (registers modules)

"""iart_mm: IART (CVPR 2024) implicit resampling-based alignment for video super-resolution on MMagic.

Importing this package registers every aligner, network, model, transform, hook and metric of the project
into MMagic's registries (``mmagic.registry``), so configs reach them through
``custom_imports = dict(imports=['iart_mm'], allow_failed_imports=False)``.
"""
import gc
import os
import warnings

# albumentations, which MMagic's metrics import, asks PyPI for a newer release on import: a round trip on every
# run, and on an offline machine a wait of up to 2 s and a warning. A value the user set is kept.
os.environ.setdefault('NO_ALBUMENTATIONS_UPDATE', '1')

# Importing torch, MMEngine and MMagic's model zoo creates hundreds of thousands of long-lived objects and few
# garbage cycles; the cyclic collector's passes over them would cost ~0.7 s of a ~4 s import (docs/benchmarks.md).
_gc_was_enabled = gc.isenabled()
gc.disable()
try:
    from .version import __version__  # noqa: F401
    from .utils.checkpoint_loading import register_safe_globals

    register_safe_globals()
    # mmengine resolves `mmagic::` config scopes with pkg_resources; its deprecation notice is not actionable
    warnings.filterwarnings('ignore', message='pkg_resources is deprecated', category=UserWarning)

    with warnings.catch_warnings():
        # transformers/diffusers, which `import mmagic.models` pulls in, use a torch API deprecated in 2.2+
        warnings.filterwarnings('ignore', message='.*_register_pytree_node.*', category=FutureWarning)
        import mmagic.models  # noqa: F401
    from . import datasets, engine, evaluation, models  # noqa: F401  (registers modules)
finally:
    if _gc_was_enabled:
        # One pass frees the import's garbage (~11,000 objects in cycles, ~230,000 reachable only from them;
        # frozen instead, they would never be freed: a forward then peaked ~60 MB higher). The survivors live as
        # long as the process: they move to the permanent generation, which later full collections skip (two
        # in tools/test.py's runner set-up took 0.6-0.8 s). What the process held before the import moves too
        # (`gc.unfreeze()` undoes that).
        gc.collect()
        gc.freeze()
        gc.enable()

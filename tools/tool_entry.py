"""How ``train.py``, ``test.py``, ``demo.py`` and ``inference_video.py`` run as scripts: the process tuning.

``import iart_mm`` only registers modules; it leaves the process as it found it. A program that owns its
process can do more, and the tools do, through :func:`run_tool`:

1. :func:`set_process_environment`, before torch loads (PyTorch and albumentations read these once):

   - ``THP_MEM_ALLOC_ENABLE=1``: PyTorch's CPU allocator asks the kernel for transparent huge pages for every
     tensor of 2 MB or more. With ``train.py``'s single malloc arena, IART's CPU training step holds ~35% less
     at the same or better speed; the inference forward gains ~2%, within noise. It does nothing where the
     kernel's THP mode is ``never``.
   - ``NO_ALBUMENTATIONS_UPDATE=1``: albumentations, which MMagic's metrics import, otherwise asks PyPI for a
     newer release on every import (a network round trip; offline, a wait of up to 2 s and a warning).

   A value the user already set is kept.
2. :func:`quiet_warnings`: hides MMEngine's ``pkg_resources`` deprecation notice, which a user cannot act on.
3. :func:`import_library`: imports iart_mm (torch, MMEngine, MMagic's model zoo: hundreds of thousands of
   long-lived objects, few garbage cycles) with the cyclic garbage collector off, which saves ~0.7 s; then one
   collection frees the import's garbage and ``gc.freeze()`` moves the survivors to the permanent generation,
   which later full collections skip (two of them in the MMEngine runner's set-up took 0.6-0.8 s). What the
   process held before moves there too; ``gc.unfreeze()`` undoes it.
4. The tool's ``main()``; the tools also set glibc malloc options there (:mod:`iart_mm.utils.allocator`:
   ``tune_malloc_for_inference`` in ``test.py``, ``demo.py`` and ``inference_video.py``,
   ``tune_malloc_for_training`` in ``train.py``).
5. :func:`iart_mm.utils.process_exit.exit_tool`: exit without the interpreter's shutdown collections.

In your own script, the same tuning is::

    import sys; sys.path.insert(0, 'tools')   # where this file is
    import tool_entry
    tool_entry.set_process_environment()      # before anything imports torch
    tool_entry.quiet_warnings()
    tool_entry.import_library()
    from iart_mm.utils.allocator import tune_malloc_for_inference
    tune_malloc_for_inference()

or the environment equivalent, set before Python starts: ``THP_MEM_ALLOC_ENABLE=1 NO_ALBUMENTATIONS_UPDATE=1``
plus ``iart_mm.utils.allocator.malloc_env()``. Each step is optional; none changes a result.

This module imports neither torch nor iart_mm at import: it has to run before torch loads.
"""
import gc
import os
import signal
import sys
import warnings

PROCESS_ENVIRONMENT = {'THP_MEM_ALLOC_ENABLE': '1', 'NO_ALBUMENTATIONS_UPDATE': '1'}


def set_process_environment():
    """Put :data:`PROCESS_ENVIRONMENT` into ``os.environ``, keeping any value the user set. Call it before
    torch is imported (PyTorch reads ``THP_MEM_ALLOC_ENABLE`` once, at its first allocation)."""
    for name, value in PROCESS_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def quiet_warnings():
    """Ignore warnings a tool's user cannot act on (process-wide)."""
    # MMEngine resolves `mmagic::` config scopes with pkg_resources
    warnings.filterwarnings('ignore', message='pkg_resources is deprecated', category=UserWarning)


def import_library():
    """``import iart_mm`` with the cyclic collector off, then collect once and freeze what survives."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        import iart_mm  # noqa: F401
    finally:
        if was_enabled:
            gc.collect()
            gc.freeze()
            gc.enable()


def run_tool(main):
    """Tune the process (steps 1-3 above), run a tool's ``main()`` and exit with its status.

    Ctrl-C during the library import (before ``main()`` has done anything) prints one line and exits with 130.
    """
    set_process_environment()
    quiet_warnings()
    try:
        import_library()
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # exiting now: a second Ctrl-C must not print a traceback
        print('interrupted: nothing was written', file=sys.stderr)
        raise SystemExit(130)
    status = main()
    from iart_mm.utils.process_exit import exit_tool
    exit_tool(status)

"""How ``train.py``, ``test.py``, ``demo.py`` and ``inference_video.py`` run as scripts.

This module imports neither torch nor iart_mm: it has to run before torch loads.
"""
import os


def run_tool(main):
    """Run a tool's ``main()`` and exit with its status.

    First, huge pages for PyTorch's large CPU tensors (``THP_MEM_ALLOC_ENABLE=1``, unless the user set it):
    IART's CPU training step ~1.3x faster, its inference forward ~2% (within this machine's noise), at the
    same peak memory (``iart_mm.utils.allocator``, docs/benchmarks.md). PyTorch reads the variable once, at its
    first allocation, so it is set before anything imports torch. Last, ``iart_mm.utils.process_exit.exit_tool``
    (no shutdown garbage collection).
    """
    os.environ.setdefault('THP_MEM_ALLOC_ENABLE', '1')
    status = main()
    from iart_mm.utils.process_exit import exit_tool  # main() has imported iart_mm by now
    exit_tool(status)

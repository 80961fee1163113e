"""How ``train.py``, ``test.py``, ``demo.py`` and ``inference_video.py`` run as scripts.

This module imports neither torch nor iart_mm: it has to run before torch loads.
"""
import os


def run_tool(main):
    """Run a tool's ``main()`` and exit with its status.

    First, huge pages for PyTorch's large CPU tensors (``THP_MEM_ALLOC_ENABLE=1``, unless the user set it):
    with ``train.py``'s one malloc arena, IART's CPU training step holds ~35% less at the same or better speed;
    the inference forward gains ~2%, within noise (``iart_mm.utils.allocator``, docs/benchmarks.md). PyTorch
    reads the variable once, at its first allocation, so it is set before anything imports torch. Last,
    ``iart_mm.utils.process_exit.exit_tool`` (no shutdown garbage collection).
    """
    os.environ.setdefault('THP_MEM_ALLOC_ENABLE', '1')
    status = main()
    from iart_mm.utils.process_exit import exit_tool  # main() has imported iart_mm by now
    exit_tool(status)

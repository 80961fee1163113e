"""Tune glibc malloc for CPU inference of attention networks (the "tuned allocator" of docs/benchmarks.md).

Why: on CPU, PyTorch gets each large tensor (e.g. a Swin block's ~57 MB attention logits) from glibc malloc,
which serves blocks above ``M_MMAP_THRESHOLD`` with a fresh ``mmap`` and returns them with ``munmap``. Every
block call then pays page faults on zero-filled pages (about 38% of CPU time for the released IART). Setting

- ``M_MMAP_MAX = 0``: never ``mmap`` a block, keep everything on the heap;
- ``M_TRIM_THRESHOLD = 16 GiB``: never give freed heap back to the kernel;
- ``M_TOP_PAD = 1 GiB``: grow the heap in large steps,

is the same as starting Python with ``MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184
MALLOC_TOP_PAD_=1073741824``. It applies to allocations made after the call, so call it early (tools do, at
start-up). The cost is a higher resident size: freed memory stays mapped to the process.

Off glibc (macOS, Windows, musl) it does nothing and returns False.
"""
import ctypes
import ctypes.util
import platform

# glibc <malloc.h> parameter numbers
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_MAX = -4

TUNED_SETTINGS = {
    M_MMAP_MAX: 0,
    M_TRIM_THRESHOLD: 17179869184,  # 16 GiB; mallopt takes an int, so it is clamped to INT_MAX below
    M_TOP_PAD: 1073741824,  # 1 GiB
}
_INT_MAX = 2**31 - 1

_applied = False


def _libc():
    if platform.system() != 'Linux' or platform.libc_ver()[0] != 'glibc':
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        libc.mallopt.restype = ctypes.c_int
        return libc
    except (OSError, AttributeError):
        return None


def tune_malloc_for_inference():
    """Set the glibc malloc options above for this process.

    Returns:
        bool: True if glibc accepted every option (or they were already set by an earlier call), False where
        there is no glibc (a no-op) or glibc refused one.
    """
    global _applied
    if _applied:
        return True
    libc = _libc()
    if libc is None:
        return False
    # mallopt's value is a C int: the 16 GiB trim threshold saturates at INT_MAX (~2 GiB), which still
    # keeps every freed block of these networks in the heap.
    ok = all(libc.mallopt(param, min(value, _INT_MAX)) == 1 for param, value in TUNED_SETTINGS.items())
    _applied = ok
    return ok


def malloc_env():
    """The equivalent environment settings, for a child process started before any allocation."""
    return {
        'MALLOC_MMAP_MAX_': '0',
        'MALLOC_TRIM_THRESHOLD_': str(TUNED_SETTINGS[M_TRIM_THRESHOLD]),
        'MALLOC_TOP_PAD_': str(TUNED_SETTINGS[M_TOP_PAD]),
    }

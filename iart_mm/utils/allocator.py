"""Tune glibc malloc for CPU inference of attention networks (the "tuned allocator" of docs/performance.md).

Why: on CPU, PyTorch gets each large tensor (e.g. a Swin block's ~57 MB attention logits) from glibc malloc,
which serves blocks above ``M_MMAP_THRESHOLD`` with a fresh ``mmap`` and returns them with ``munmap``. Every
block call then pays page faults on zero-filled pages (about 38% of CPU time for the released IART). Setting

- ``M_MMAP_MAX = 0``: never ``mmap`` a block, keep everything on the heap;
- ``M_TRIM_THRESHOLD = 16 GiB``: never give freed heap back to the kernel;
- ``M_TOP_PAD = 1 GiB``: grow the heap in large steps,

is the same as starting Python with ``MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184
MALLOC_TOP_PAD_=1073741824``. It applies to allocations made after the call, so call it early (tools do, at
start-up). The cost is a higher resident size: freed memory stays mapped to the process.

For training, ``tune_malloc_for_training()`` only limits glibc to one arena (``MALLOC_ARENA_MAX=1``): the
inference settings would keep the training step's much larger freed memory resident.

Every tool (``train.py``, ``test.py``, ``demo.py``, ``inference_video.py``) also sets ``THP_MEM_ALLOC_ENABLE=1``
before torch is imported (unless it is already set; ``tools/tool_entry.py``): PyTorch's CPU allocator then asks
the kernel for transparent huge pages for every tensor of 2 MB or more, so large buffers fault in 2 MB pages
instead of 4 kB ones. With one arena, IART's 5x64x64 training step holds ~35% less than under glibc's defaults
and runs as fast or faster; its inference forward gains ~2% (within noise), since the tuned heap is faulted in
once and then reused. PyTorch reads that variable once, at its first allocation, so it cannot be set from here;
it does nothing where the kernel's THP mode is ``never``.

Off glibc (macOS, Windows, musl) both do nothing and return False.
"""
import ctypes
import ctypes.util
import platform

# glibc <malloc.h> parameter numbers
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_MAX = -4
M_ARENA_MAX = -8

TUNED_SETTINGS = {
    M_MMAP_MAX: 0,
    M_TRIM_THRESHOLD: 17179869184,  # 16 GiB; mallopt takes an int, so it is clamped to INT_MAX below
    M_TOP_PAD: 1073741824,  # 1 GiB
}
_INT_MAX = 2**31 - 1

# Training: one arena. PyTorch's intra-op worker threads otherwise allocate from arenas of their own, whose
# freed blocks the main thread cannot reuse: in IART's 5x64x64 training step that kept 0.5-1.6 GiB more resident
# (docs/performance.md). Same as ``MALLOC_ARENA_MAX=1``.
TRAINING_SETTINGS = {M_ARENA_MAX: 1}
# What tools/train.py runs under, as environment settings for a process started before torch is imported.
TRAINING_ENV = {'MALLOC_ARENA_MAX': '1', 'THP_MEM_ALLOC_ENABLE': '1'}

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
    ok = _mallopt_all(libc, TUNED_SETTINGS)
    _applied = ok
    return ok


def tune_malloc_for_training():
    """Give the whole process one glibc malloc arena (``TRAINING_SETTINGS``); ``tools/train.py`` calls it.

    Call it before the first multi-threaded operation: threads that already own an arena keep it. The huge-page
    half of ``TRAINING_ENV`` has to be in the environment before torch is imported (``tools/tool_entry.py`` sets
    it for every tool).

    Returns:
        bool: True if glibc accepted it, False where there is no glibc (a no-op) or glibc refused.
    """
    libc = _libc()
    return libc is not None and _mallopt_all(libc, TRAINING_SETTINGS)


def _mallopt_all(libc, settings):
    return all(libc.mallopt(param, min(value, _INT_MAX)) == 1 for param, value in settings.items())


def malloc_env():
    """The equivalent environment settings, for a child process started before any allocation."""
    return {
        'MALLOC_MMAP_MAX_': '0',
        'MALLOC_TRIM_THRESHOLD_': str(TUNED_SETTINGS[M_TRIM_THRESHOLD]),
        'MALLOC_TOP_PAD_': str(TUNED_SETTINGS[M_TOP_PAD]),
    }

"""Ctrl-C that never splits a frame: SIGINT is held while a frame or a file is being finished.

Inside :class:`InterruptGuard` (installed only in the main thread, and only over Python's default SIGINT
handler, so a program's own handler is left alone) SIGINT raises ``KeyboardInterrupt`` as usual, except
inside :meth:`InterruptGuard.hold` blocks: there it is remembered and raised when the block ends. So the
count of frames a sink reports always equals the frames in its file, and a second Ctrl-C cannot break the
trailer that makes an interrupted file playable: once an interrupt is being handled, further SIGINTs are
ignored until the guard is left.
"""
import signal
import threading
from contextlib import contextmanager


class InterruptGuard:
    """Context manager installing the holding SIGINT handler for its duration (restored on exit)."""

    def __init__(self):
        self._depth = 0
        self._pending = False
        self._ignoring = False
        self._previous = None

    def __enter__(self):
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        return False

    def _handle(self, signum, frame):
        if self._ignoring:
            return
        if self._depth:
            self._pending = True
            return
        raise KeyboardInterrupt

    def ignore_further(self):
        """An interrupt is being handled: further SIGINTs are ignored while the guard is installed, so
        the cleanup that keeps the partial output runs to its end."""
        self._ignoring = True
        self._pending = False

    @contextmanager
    def hold(self, drop=False):
        """Hold SIGINT until the block ends; then raise it, or forget it when ``drop`` (cleaning up after
        an interrupt already being handled, or finishing a run that is complete anyway)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if not self._depth and self._pending:
                self._pending = False
                if not drop:
                    raise KeyboardInterrupt

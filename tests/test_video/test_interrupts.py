"""InterruptGuard with real SIGINTs: held inside ``hold()``, ignored once an interrupt is being handled,
and never installed over a program's own handler."""
import signal

import pytest

from iart_mm.video import InterruptGuard


def test_sigint_is_held_until_the_block_ends():
    steps = []
    with InterruptGuard() as guard:
        with pytest.raises(KeyboardInterrupt):
            with guard.hold():
                signal.raise_signal(signal.SIGINT)
                steps.append('finished the frame')
        with guard.hold(drop=True):
            signal.raise_signal(signal.SIGINT)
            steps.append('closed the file')
        steps.append('went on')  # the dropped one is forgotten
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)  # outside a hold: at once
    assert steps == ['finished the frame', 'closed the file', 'went on']
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_further_sigints_are_ignored_while_one_is_handled():
    with InterruptGuard() as guard:
        guard.ignore_further()
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):  # restored
        signal.raise_signal(signal.SIGINT)


def test_a_programs_own_handler_is_left_alone():
    seen = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    try:
        with InterruptGuard() as guard, guard.hold():
            signal.raise_signal(signal.SIGINT)
        assert seen == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, previous)

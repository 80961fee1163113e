"""What a run shows on stderr: its one-off steps (model loading, warm-up) and a bar over output frames.

The bar starts after the one-off steps, so its frame rate and ETA come from frames actually processed
(averaged over the whole run: chunked models deliver frames in bursts, which a moving average would
turn into swinging ETAs). Its total is the container's frame count when that is exact and is shown as
"about N" when it is estimated from a duration. Log records are written above the bar, never into it.
"""
import sys
from contextlib import contextmanager, nullcontext
from time import monotonic

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

_FORMAT = '{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/<about>{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]'


@contextmanager
def step(label, enabled=True):
    """Show a one-off step as its own lines: ``label...`` when it starts, ``label: done in 2.1 s`` after."""
    if not enabled:
        yield
        return
    tqdm.write(f'{label}...', file=sys.stderr)
    start = monotonic()
    yield
    tqdm.write(f'{label}: done in {monotonic() - start:.1f} s', file=sys.stderr)


class FrameProgress:
    """A tqdm bar counting output frames.

    Args:
        total: expected frames, or None when unknown (the bar then shows the count and rate only).
        exact: False when ``total`` is an estimate: it is shown as "about N" and raised if the video
            turns out longer.
        enabled: False shows nothing.
    """

    def __init__(self, total=None, exact=True, enabled=True, desc='super-resolving'):
        self.exact = exact
        bar_format = _FORMAT.replace('<about>', '' if exact else 'about ') if total else None
        self.bar = tqdm(total=total, unit='frame', desc=desc, disable=not enabled, dynamic_ncols=True,
                        smoothing=0, file=sys.stderr, bar_format=bar_format)

    def update(self, frames=1):
        if self.bar.total and self.bar.n + frames > self.bar.total:  # an estimate that was short
            self.bar.total = self.bar.n + frames
        self.bar.update(frames)

    def finish(self, frames):
        """The run is complete after ``frames`` frames: the total becomes that count."""
        if self.bar.total != frames:
            self.bar.total = frames
            self.bar.refresh()

    def close(self):
        self.bar.close()


def logs_above_bar(enabled=True):
    """While a bar is shown, console log handlers write through ``tqdm.write`` (their own lines)."""
    return logging_redirect_tqdm() if enabled else nullcontext()

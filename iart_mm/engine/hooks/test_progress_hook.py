"""``TestProgressHook``: a log line per restored clip while a test runs, with the time left.

A whole-clip test runs one sample for minutes (a REDS4 clip is 100 frames in one pass), and MMEngine's
``LoggerHook`` logs test iterations only every ``interval`` samples, without a clip name or an estimate of the
time left. This hook logs, at most every ``min_interval_s`` seconds and always for the first and the last sample:
``test 2/4: clip 011 (100 frames) in 61.2 s; 2 min 3 s elapsed, about 2 min left``. Under several processes
each rank counts its own share and rank 0's lines are shown (MMEngine's logger is quiet on other ranks).
"""
import os.path as osp
import time

from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmagic.registry import HOOKS


def _duration(seconds):
    seconds = int(round(seconds))
    if seconds < 60:
        return f'{seconds} s'
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f'{minutes} min {seconds} s'
    hours, minutes = divmod(minutes, 60)
    return f'{hours} h {minutes} min'


def _clip_and_frames(data_batch):
    """The first sample's clip (its key, else the folder of its first LR frame) and its number of input frames."""
    samples = (data_batch or {}).get('data_samples') or []
    key = None
    if samples:
        key = samples[0].metainfo.get('key')
        path = samples[0].metainfo.get('img_path')
        if not key and isinstance(path, (list, tuple)) and path:
            key = osp.basename(osp.dirname(str(path[0])))
    inputs = (data_batch or {}).get('inputs')
    frames = None
    if hasattr(inputs, 'shape') and inputs.ndim == 5:
        frames = int(inputs.shape[1])
    elif isinstance(inputs, (list, tuple)) and inputs and hasattr(inputs[0], 'shape') and inputs[0].ndim == 4:
        frames = int(inputs[0].shape[0])
    return key, frames


@HOOKS.register_module()
class TestProgressHook(Hook):
    """Log test progress per sample: count, clip name, frames, seconds, elapsed time and an estimate of the rest.

    Args:
        min_interval_s (float): least time between two lines (the first and last sample are always logged),
            so that a set of thousands of short samples (Vimeo-90K-T) does not flood the log.
    """

    priority = 'BELOW_NORMAL'

    def __init__(self, min_interval_s: float = 10.0):
        self.min_interval_s = float(min_interval_s)

    def before_test(self, runner) -> None:
        self._start = self._last_log = self._iter_start = time.perf_counter()
        self._done = 0
        self._total = None

    def before_test_iter(self, runner, batch_idx, data_batch=None) -> None:
        self._iter_start = time.perf_counter()

    def _total_samples(self, runner):
        if self._total is None:
            loop = runner.test_loop
            total = getattr(loop, '_total_length', None)  # MMagic's MultiTestLoop: all its loaders together
            if not total:
                try:
                    total = len(runner.test_dataloader)
                except TypeError:
                    total = 0
            self._total = int(total or 0)
        return self._total

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        now = time.perf_counter()
        self._done += 1
        total = self._total_samples(runner)
        last = total and self._done >= total
        if self._done > 1 and not last and now - self._last_log < self.min_interval_s:
            return
        self._last_log = now
        key, frames = _clip_and_frames(data_batch)
        what = f'clip {key}' if key else 'sample'
        if frames:
            what += f' ({frames} frames)'
        elapsed = now - self._start
        line = (f'test {self._done}/{total or "?"}: {what} in {now - self._iter_start:.1f} s; '
                f'{_duration(elapsed)} elapsed')
        if total and not last:
            line += f', about {_duration(elapsed / self._done * (total - self._done))} left'
        print_log(line, logger='current')

"""``TestSafeVisualizationHook``: MMagic's image-dumping hook, usable in a test-only run.

MMagic's ``BasicVisualizationHook`` stamps each dump with ``runner.iter``, which is the *training* loop's
counter: asking for it makes MMEngine build the training loop and its dataloader, so ``tools/test.py`` on
REDS4 fails without the training set's annotation file. This subclass asks the training loop only when it
already exists, and otherwise stamps dumps with the test/val batch index.
"""
from mmagic.engine.hooks import BasicVisualizationHook
from mmagic.registry import HOOKS


def visualization_step(runner, batch_idx):
    """``runner.iter`` when the training loop is built, else ``batch_idx`` (never builds a dataloader)."""
    loop = getattr(runner, '_train_loop', None)
    if loop is None or isinstance(loop, dict):
        return batch_idx
    return runner.iter


@HOOKS.register_module()
class TestSafeVisualizationHook(BasicVisualizationHook):
    """Same options and output as ``BasicVisualizationHook``; see the module docstring for the difference."""

    def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None, mode=None):
        if not {'train': self._on_train, 'val': self._on_val, 'test': self._on_test}.get(mode, True):
            return
        interval = self._interval if isinstance(self._interval, int) else self._interval.get(mode, 1)
        if self.every_n_inner_iters(batch_idx, interval):
            step = visualization_step(runner, batch_idx)
            for data_sample in outputs:
                runner.visualizer.add_datasample(data_sample, step=step)

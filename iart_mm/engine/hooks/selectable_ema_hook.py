"""``SelectableEMAHook``: MMEngine's EMAHook whose validation / test can run on the EMA or on the raw weights.

MMEngine's ``EMAHook`` always swaps the EMA parameters in for validation and test. IART's release keeps an EMA
(decay 0.999, saved as ``params_ema``) but validates ``net_g`` (docs/release_differences.md, "EMA: validated raw,
tested as the EMA"); MMagic users usually want the EMA.
``val_on_ema`` / ``test_on_ema`` choose. Everything else (update rule, checkpoint layout with ``ema_state_dict``,
resume) is MMEngine's. Example::

    custom_hooks = [dict(type='SelectableEMAHook', ema_type='ExponentialMovingAverage', momentum=0.001,
                         val_on_ema=False, priority='ABOVE_NORMAL')]
"""
from mmengine.hooks import EMAHook

from mmagic.registry import HOOKS


@HOOKS.register_module()
class SelectableEMAHook(EMAHook):
    """EMAHook with ``val_on_ema`` (default True, MMEngine's behaviour) and ``test_on_ema`` (default True)."""

    def __init__(self, *args, val_on_ema: bool = True, test_on_ema: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.val_on_ema = val_on_ema
        self.test_on_ema = test_on_ema

    def before_val_epoch(self, runner) -> None:
        if self.val_on_ema:
            super().before_val_epoch(runner)

    def after_val_epoch(self, runner, metrics=None) -> None:
        if self.val_on_ema:
            super().after_val_epoch(runner, metrics)

    def before_test_epoch(self, runner) -> None:
        if self.test_on_ema:
            super().before_test_epoch(runner)

    def after_test_epoch(self, runner, metrics=None) -> None:
        if self.test_on_ema:
            super().after_test_epoch(runner, metrics)

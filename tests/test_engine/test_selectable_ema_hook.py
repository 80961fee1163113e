"""SelectableEMAHook: validation/test on the EMA weights or on the raw weights, as chosen."""
import pytest
import torch
from mmengine.registry import HOOKS as ENGINE_HOOKS  # noqa: F401
from torch import nn

from iart_mm.engine import SelectableEMAHook


class _Runner:
    def __init__(self):
        self.model = nn.Linear(2, 2)
        self.iter = 0
        self._resume = False


def _hook_with_diverged_ema(**kwargs):
    runner = _Runner()
    hook = SelectableEMAHook(momentum=0.5, **kwargs)
    hook.before_run(runner)
    with torch.no_grad():
        runner.model.weight.fill_(1.0)  # raw weights move away from the EMA copy
    return hook, runner, hook.ema_model.module.weight.detach().clone()


@pytest.mark.parametrize('on_ema', [True, False])
def test_validation_uses_the_selected_weights(on_ema):
    hook, runner, ema_weight = _hook_with_diverged_ema(val_on_ema=on_ema)
    hook.before_val_epoch(runner)
    expected = ema_weight if on_ema else torch.ones(2, 2)
    torch.testing.assert_close(runner.model.weight.detach(), expected)
    hook.after_val_epoch(runner)
    torch.testing.assert_close(runner.model.weight.detach(), torch.ones(2, 2))  # raw weights back for training


@pytest.mark.parametrize('on_ema', [True, False])
def test_test_uses_the_selected_weights(on_ema):
    hook, runner, ema_weight = _hook_with_diverged_ema(test_on_ema=on_ema)
    hook.before_test_epoch(runner)
    torch.testing.assert_close(runner.model.weight.detach(), ema_weight if on_ema else torch.ones(2, 2))
    hook.after_test_epoch(runner)

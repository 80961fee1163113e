"""AutoAmpOptimWrapper and resolve_precision: AMP on an accelerator, fp32 on the CPU, from one config."""
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS
from torch import nn

from iart_mm.engine import precision
from iart_mm.engine.precision import resolve_precision
from tests.conftest import REPO_DIR


class FakeAmpOptimWrapper(OptimWrapper):
    """Stands in for MMEngine's AmpOptimWrapper (which needs CUDA to build) and keeps its AMP arguments."""

    def __init__(self, loss_scale='dynamic', dtype=None, use_fsdp=False, **kwargs):
        super().__init__(**kwargs)
        self.amp_args = dict(loss_scale=loss_scale, dtype=dtype, use_fsdp=use_fsdp)


@pytest.fixture
def on_gpu(monkeypatch):
    monkeypatch.setattr(precision, 'amp_available', lambda: True)
    monkeypatch.setattr(precision, 'AmpOptimWrapper', FakeAmpOptimWrapper)


@pytest.fixture
def on_cpu(monkeypatch):
    monkeypatch.setattr(precision, 'amp_available', lambda: False)


def _build(**cfg):
    optimizer = torch.optim.Adam(nn.Linear(2, 2).parameters(), lr=1e-3)
    return OPTIM_WRAPPERS.build(dict(type='AutoAmpOptimWrapper', optimizer=optimizer, **cfg))


def test_auto_amp_is_fp32_on_cpu(on_cpu):
    wrapper = _build(loss_scale='dynamic', dtype='bfloat16', clip_grad=dict(max_norm=1.0))
    assert type(wrapper) is OptimWrapper and not isinstance(wrapper, AmpOptimWrapper)
    assert wrapper.clip_grad_kwargs == dict(max_norm=1.0)  # the non-AMP arguments pass through


def test_auto_amp_is_amp_on_an_accelerator(on_gpu):
    wrapper = _build(loss_scale=512.0, dtype='bfloat16', accumulative_counts=2)
    assert isinstance(wrapper, FakeAmpOptimWrapper)
    assert wrapper.amp_args == dict(loss_scale=512.0, dtype='bfloat16', use_fsdp=False)
    assert wrapper._accumulative_counts == 2


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU build')
def test_auto_amp_builds_on_this_cpu_without_patches():
    assert type(_build()) is OptimWrapper


def _cfg(**optim_wrapper):
    return Config(dict(optim_wrapper=optim_wrapper))


def test_cpu_turns_amp_wrappers_into_fp32(on_cpu):
    cfg = resolve_precision(_cfg(type='AmpOptimWrapper', loss_scale='dynamic', dtype='float16', optimizer={}))
    assert cfg.optim_wrapper == dict(type='OptimWrapper', optimizer={})


def test_plain_wrapper_drops_leftover_amp_keys(on_gpu):
    # what `--cfg-options optim_wrapper.type=OptimWrapper` leaves of an AMP config
    cfg = resolve_precision(_cfg(type='OptimWrapper', loss_scale='dynamic', optimizer={}))
    assert cfg.optim_wrapper == dict(type='OptimWrapper', optimizer={})


def test_amp_flag_on_an_accelerator(on_gpu):
    cfg = resolve_precision(_cfg(type='OptimWrapper', optimizer={}), amp=True)
    assert cfg.optim_wrapper == dict(type='AmpOptimWrapper', loss_scale='dynamic', optimizer={})
    cfg = resolve_precision(_cfg(type='AutoAmpOptimWrapper', loss_scale=128.0, optimizer={}), amp_dtype='bfloat16')
    assert cfg.optim_wrapper == dict(type='AutoAmpOptimWrapper', loss_scale=128.0, dtype='bfloat16', optimizer={})


def test_amp_flag_on_cpu_warns_and_stays_fp32(on_cpu, monkeypatch):
    warnings = []
    monkeypatch.setattr(precision, '_warn', warnings.append)
    cfg = resolve_precision(_cfg(optimizer={}), amp=True, amp_dtype='bfloat16')
    assert cfg.optim_wrapper == dict(optimizer={})
    assert len(warnings) == 1 and warnings[0].startswith('--amp: no accelerator')


def test_every_wrapper_of_a_multi_wrapper_config(on_gpu):
    cfg = Config(dict(optim_wrapper=dict(
        constructor='MultiOptimWrapperConstructor',
        generator=dict(type='OptimWrapper', optimizer=dict(type='Adam')),
        discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam')))))
    resolve_precision(cfg, amp=True)
    assert cfg.optim_wrapper.constructor == 'MultiOptimWrapperConstructor' and 'type' not in cfg.optim_wrapper
    assert cfg.optim_wrapper.generator.type == cfg.optim_wrapper.discriminator.type == 'AmpOptimWrapper'


def test_iart_configs_name_the_device_following_wrapper():
    for path in (REPO_DIR / 'configs' / 'iart').glob('*.py'):
        cfg = Config.fromfile(str(path))
        if 'optim_wrapper' in cfg and '_test-' not in path.name:
            assert cfg.optim_wrapper.type == 'AutoAmpOptimWrapper', path.name
            assert cfg.optim_wrapper.loss_scale == 'dynamic', path.name

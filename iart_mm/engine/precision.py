"""Training precision that follows the device: mixed precision (AMP) on an accelerator, plain fp32 on the CPU.

MMEngine's ``AmpOptimWrapper`` refuses to build without CUDA (or NPU / MLU / MUSA), so a config that names it
cannot train on a CPU-only machine, and switching it to ``OptimWrapper`` by hand then fails on the AMP-only
keys (``loss_scale``, ``dtype``) that the config still carries. Here:

- :func:`AutoAmpOptimWrapper` (registered in MMEngine's ``OPTIM_WRAPPERS``): the optimizer wrapper the IART
  configs name. It builds an ``AmpOptimWrapper`` where the Runner trains on an accelerator and an
  ``OptimWrapper`` (fp32, the AMP keys dropped) on the CPU, so one config trains on both, unedited.
- :func:`resolve_precision`: what ``tools/train.py`` does to a config before building the Runner: ``--amp`` /
  ``--amp-dtype``, and the same device rule for configs that name ``AmpOptimWrapper`` itself.

Each rule applies to every optimizer wrapper of a config, including the per-module wrappers of a
``MultiOptimWrapperConstructor`` config (a GAN's generator and discriminator).
"""
import logging

from mmengine.device import get_device
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS

#: the devices MMEngine's AmpOptimWrapper runs on (its own check, by ``mmengine.device.get_device()`` name)
AMP_DEVICES = ('cuda', 'npu', 'mlu', 'musa')
#: keys only AmpOptimWrapper takes
AMP_ONLY_KEYS = ('loss_scale', 'dtype', 'use_fsdp')
AMP_TYPES = ('AmpOptimWrapper', 'AutoAmpOptimWrapper')


def amp_available():
    """True when the Runner will train on a device that MMEngine's AmpOptimWrapper supports."""
    return get_device() in AMP_DEVICES


@OPTIM_WRAPPERS.register_module()
def AutoAmpOptimWrapper(loss_scale='dynamic', dtype=None, use_fsdp=False, **kwargs):  # noqa: N802 (a type= name)
    """Build ``AmpOptimWrapper(loss_scale, dtype, ...)`` on an accelerator, ``OptimWrapper(...)`` on the CPU.

    Args are AmpOptimWrapper's (``optimizer``, ``accumulative_counts``, ``clip_grad`` pass through to either).
    On the CPU the AMP-only arguments are ignored and a warning says that training runs in fp32.
    A checkpoint of either wrapper resumes into the other: the loss scaler's state is stored beside the
    optimizer's and each wrapper reads only what it has.
    """
    if amp_available():
        return AmpOptimWrapper(loss_scale=loss_scale, dtype=dtype, use_fsdp=use_fsdp, **kwargs)
    print_log(f'AutoAmpOptimWrapper: no accelerator ({get_device()}), so training runs in fp32 (no AMP)',
              logger='current', level=logging.WARNING)
    return OptimWrapper(**kwargs)


def optim_wrapper_cfgs(optim_wrapper):
    """The optimizer wrapper configs in ``cfg.optim_wrapper``: itself, or a multi-wrapper config's parts."""
    if optim_wrapper.get('constructor') == 'MultiOptimWrapperConstructor':
        return [v for v in optim_wrapper.values() if isinstance(v, dict) and 'optimizer' in v]
    return [optim_wrapper]


def _warn(message):
    print_log(message, logger='current', level=logging.WARNING)


def resolve_precision(cfg, amp=False, amp_dtype=None):
    """Settle each optimizer wrapper of ``cfg`` (in place) for this machine; returns ``cfg``.

    - ``amp`` (``--amp``): every wrapper becomes AMP where an accelerator is present (``loss_scale`` defaults
      to 'dynamic'); on the CPU it has no effect and a warning says so.
    - ``amp_dtype`` ('float16' | 'bfloat16', ``--amp-dtype``): the autocast dtype of the AMP wrappers; implies
      ``amp``.
    - On the CPU, a wrapper typed ``AmpOptimWrapper`` becomes an fp32 ``OptimWrapper`` (as
      :func:`AutoAmpOptimWrapper` does); a plain ``OptimWrapper`` that still carries AMP-only keys (an AMP
      config switched with ``--cfg-options optim_wrapper.type=OptimWrapper``) has them dropped.
    """
    amp = amp or amp_dtype is not None
    on_accelerator = amp_available()
    if amp and not on_accelerator:
        _warn(f'--amp: no accelerator ({get_device()}), so training runs in fp32 (AMP needs CUDA)')
    for wrapper in optim_wrapper_cfgs(cfg.optim_wrapper):
        kind = wrapper.get('type', 'OptimWrapper')
        if amp and on_accelerator and kind not in AMP_TYPES:
            wrapper['type'] = kind = 'AmpOptimWrapper'
            wrapper.setdefault('loss_scale', 'dynamic')
        if amp_dtype is not None and on_accelerator and kind in AMP_TYPES:
            wrapper['dtype'] = amp_dtype
        if kind == 'AmpOptimWrapper' and not on_accelerator:
            _warn(f'AmpOptimWrapper: no accelerator ({get_device()}), so training runs in fp32 (OptimWrapper)')
            wrapper['type'] = kind = 'OptimWrapper'
        if kind == 'OptimWrapper':
            for key in AMP_ONLY_KEYS:
                wrapper.pop(key, None)
    return cfg

"""``DeviceAwareRunner``: MMEngine's Runner whose start-up environment log names the device it really uses.

MMEngine's Runner logs ``GPU number: <world size>`` whatever the device, so a CPU run (one process, or several
under ``tools/dist_train.sh`` with gloo) claims GPUs it does not have. On the CPU this Runner logs
``GPU number: 0 (CPU, <n> process(es))`` instead; on an accelerator its log is MMEngine's, unchanged.
"""
import logging
import re

from mmengine.device import get_device
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

_GPU_NUMBER = re.compile(r'^(\s*)GPU number: (\d+)$', re.MULTILINE)


class _CpuGpuNumber(logging.Filter):
    """Rewrites the ``GPU number: N`` line of the environment record for a CPU run."""

    def filter(self, record):
        if isinstance(record.msg, str) and 'GPU number:' in record.msg:
            record.msg = _GPU_NUMBER.sub(
                lambda m: f'{m.group(1)}GPU number: 0 (CPU, {m.group(2)} process'
                          f'{"" if m.group(2) == "1" else "es"})', record.msg)
        return True


@RUNNERS.register_module()
class DeviceAwareRunner(Runner):
    """``mmengine.runner.Runner`` with a device-true ``GPU number`` in its environment log (see module doc)."""

    def _log_env(self, env_cfg):
        if get_device() != 'cpu':
            return super()._log_env(env_cfg)
        rewrite = _CpuGpuNumber()
        self.logger.addFilter(rewrite)
        try:
            return super()._log_env(env_cfg)
        finally:
            self.logger.removeFilter(rewrite)

"""DeviceAwareRunner's environment log: no 'GPU number: N' claim on a CPU run."""
import logging

import pytest

from iart_mm.engine import device_runner
from iart_mm.engine.device_runner import _CpuGpuNumber

ENV_LOG = ('\n------\nRuntime environment:\n    seed: 0\n    Distributed launcher: pytorch\n'
           '    Distributed training: True\n    GPU number: {}\n------\n')


@pytest.mark.parametrize('n, expected', [(1, 'GPU number: 0 (CPU, 1 process)'),
                                         (4, 'GPU number: 0 (CPU, 4 processes)')])
def test_filter_rewrites_the_gpu_number_line(n, expected):
    record = logging.LogRecord('x', logging.INFO, __file__, 1, ENV_LOG.format(n), None, None)
    assert _CpuGpuNumber().filter(record)
    assert f'    {expected}\n' in record.msg and f'GPU number: {n}\n' not in record.msg


def test_filter_leaves_other_records_alone():
    record = logging.LogRecord('x', logging.INFO, __file__, 1, 'Iter(train) [1/1] loss: 0.1', None, None)
    assert _CpuGpuNumber().filter(record) and record.msg == 'Iter(train) [1/1] loss: 0.1'


@pytest.mark.parametrize('device, expected', [('cpu', 'GPU number: 0 (CPU, 4 processes)'),
                                              ('cuda', 'GPU number: 4')])
def test_runner_log_env_follows_the_device(monkeypatch, device, expected):
    logger = logging.Logger('device_runner_test')
    seen = []
    logger.addHandler(type('H', (logging.Handler, ), {'emit': lambda self, r: seen.append(r.getMessage())})())

    def mmengine_log_env(self, env_cfg):  # what MMEngine's Runner._log_env logs, reduced to the line at issue
        self.logger.info(ENV_LOG.format(4))
    monkeypatch.setattr(device_runner.Runner, '_log_env', mmengine_log_env)
    monkeypatch.setattr(device_runner, 'get_device', lambda: device)
    runner = object.__new__(device_runner.DeviceAwareRunner)  # only its logger is used here
    runner.logger = logger
    runner._log_env({})
    assert expected + '\n' in seen[0]
    assert not logger.filters  # the rewrite is scoped to the environment record

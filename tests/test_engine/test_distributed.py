"""setup_distributed: backend and DDP wrapper chosen for the device; clear errors without torchrun."""
import pytest
import torch
from mmengine.config import Config
from torch import nn

from iart_mm.engine import DeviceAwareDistributedDataParallel, distributed_backend, setup_distributed


def test_backend_follows_cuda_availability():
    assert distributed_backend() == ('nccl' if torch.cuda.is_available() else 'gloo')


def test_no_launcher_is_a_no_op():
    cfg = Config(dict(launcher='none'))
    assert setup_distributed(cfg) is cfg and 'model_wrapper_cfg' not in cfg


def test_pytorch_launcher_sets_backend_and_wrapper(monkeypatch):
    monkeypatch.setattr('iart_mm.engine.distributed.torch_dist.is_initialized', lambda: True)
    cfg = setup_distributed(Config(dict(launcher='pytorch', find_unused_parameters=True)))
    assert cfg.env_cfg.dist_cfg.backend == distributed_backend()
    assert cfg.model_wrapper_cfg.type == 'DeviceAwareDistributedDataParallel'
    assert cfg.model_wrapper_cfg.find_unused_parameters is True


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU path')
def test_pytorch_launcher_without_torchrun_fails_clearly(monkeypatch):
    monkeypatch.delenv('RANK', raising=False)
    monkeypatch.setattr('iart_mm.engine.distributed.torch_dist.is_initialized', lambda: False)
    with pytest.raises(RuntimeError, match='torchrun'):
        setup_distributed(Config(dict(launcher='pytorch')))


def test_wrapper_drops_device_ids_for_cpu_modules(monkeypatch):
    seen = {}

    def fake_init(self, module, device_ids=None, **kwargs):
        seen['device_ids'] = device_ids
    monkeypatch.setattr('mmengine.model.MMDistributedDataParallel.__init__', fake_init)
    DeviceAwareDistributedDataParallel(nn.Linear(2, 2), device_ids=[1])
    assert seen['device_ids'] is None

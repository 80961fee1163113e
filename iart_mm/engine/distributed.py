"""Distributed set-up that works on GPUs (NCCL) and on CPU-only machines (gloo) with MMEngine's ``pytorch`` launcher.

MMEngine 0.10.7 assumes CUDA in two places: ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` before
creating the process group, and ``Runner.wrap_model`` passes ``device_ids=[LOCAL_RANK]`` to DDP, which PyTorch
rejects for a CPU module. :func:`setup_distributed` picks the backend (NCCL with CUDA, gloo without), creates the
gloo group itself on CPU (the Runner then skips its own ``init_dist``) and selects
:class:`DeviceAwareDistributedDataParallel`, which drops ``device_ids`` for CPU modules.

MMEngine's ``slurm`` launcher (``tools/slurm_train.sh`` / ``slurm_test.sh``: one process per ``srun`` task) has the
same CUDA assumption (``torch.cuda.set_device``); on CPU :func:`setup_distributed` derives the process group's
environment from SLURM's variables as MMEngine does (RANK = SLURM_PROCID, WORLD_SIZE = SLURM_NTASKS, LOCAL_RANK =
SLURM_LOCALID, MASTER_ADDR = first host of SLURM_NODELIST by ``scontrol``, MASTER_PORT default 29500) and
creates the gloo group itself.

SPyNet's freeze (``fix_iter``) changes which parameters get gradients during training, so DDP needs
``find_unused_parameters=True`` and no static graph (docs/release_differences.md, "Training: SPyNet unfreeze
under DDP"); :func:`setup_distributed` keeps the config's value and warns when it is False.
"""
import logging
import os
import subprocess

import torch
import torch.distributed as torch_dist
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS


class LaunchError(RuntimeError):
    """A distributed launcher option without the environment its launcher provides (torchrun, srun)."""


@MODEL_WRAPPERS.register_module()
class DeviceAwareDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that ignores ``device_ids`` when the module lives on the CPU."""

    def __init__(self, module, device_ids=None, **kwargs):
        if next(module.parameters()).device.type == 'cpu':
            device_ids = None
        super().__init__(module=module, device_ids=device_ids, **kwargs)


def distributed_backend():
    """'nccl' when CUDA is usable, else 'gloo'."""
    return 'nccl' if torch.cuda.is_available() else 'gloo'


def _set_backend(cfg, backend):
    env_cfg = dict(cfg.get('env_cfg') or {})
    env_cfg['dist_cfg'] = dict(env_cfg.get('dist_cfg') or {}, backend=backend)
    cfg.env_cfg = env_cfg


def setup_distributed(cfg):
    """Prepare ``cfg`` (an MMEngine Config, ``cfg.launcher`` set) for a distributed run; a no-op for 'none'.

    Sets ``env_cfg.dist_cfg.backend`` and ``model_wrapper_cfg``; on CPU also initialises the gloo process group
    from torchrun's environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) or, for ``slurm``, from srun's.
    """
    if cfg.get('launcher', 'none') == 'none':
        return cfg
    backend = distributed_backend()
    _set_backend(cfg, backend)
    if cfg.launcher not in ('pytorch', 'slurm'):
        return cfg
    find_unused = cfg.get('find_unused_parameters', False)
    if not find_unused:
        print_log('find_unused_parameters is False: a frozen SPyNet (fix_iter) needs it True under DDP',
                  logger='current', level=logging.WARNING)
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'DeviceAwareDistributedDataParallel')
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters', find_unused)
    cfg.model_wrapper_cfg = wrapper
    if backend == 'gloo' and not torch_dist.is_initialized():
        if cfg.launcher == 'slurm':
            slurm_environment()
        elif 'RANK' not in os.environ:
            raise LaunchError('--launcher pytorch needs torchrun (RANK/WORLD_SIZE unset); use tools/dist_train.sh')
        torch_dist.init_process_group(backend='gloo')
    return cfg


def slurm_environment(environ=None):
    """Set torch.distributed's variables from an ``srun`` task's SLURM_* ones, as MMEngine's slurm launcher does.

    RANK = SLURM_PROCID, WORLD_SIZE = SLURM_NTASKS, LOCAL_RANK = SLURM_LOCALID, MASTER_ADDR (unless set) = the
    first host of SLURM_NODELIST (``scontrol show hostname``), MASTER_PORT (unless set) = 29500.
    """
    env = os.environ if environ is None else environ
    missing = [k for k in ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST') if k not in env]
    if missing:
        raise LaunchError(f'--launcher slurm needs srun ({", ".join(missing)} unset); use tools/slurm_train.sh')
    if 'MASTER_ADDR' not in env:
        out = subprocess.run(['scontrol', 'show', 'hostname', env['SLURM_NODELIST']], capture_output=True,
                             text=True, check=True).stdout.split()
        env['MASTER_ADDR'] = out[0]
    env.setdefault('MASTER_PORT', '29500')
    env['WORLD_SIZE'] = env['SLURM_NTASKS']
    env['RANK'] = env['SLURM_PROCID']
    env['LOCAL_RANK'] = env.get('SLURM_LOCALID', '0')
    return env

"""tools/slurm_train.sh and tools/slurm_test.sh with a stand-in ``srun`` that starts the tasks on this machine.

The stand-in records its options and starts ``--ntasks`` copies of the command with the variables real srun
sets (SLURM_PROCID, SLURM_LOCALID, SLURM_NTASKS, SLURM_NODELIST); a stand-in ``scontrol`` resolves the node list
to this host, as MMEngine's slurm launcher asks it to. On this CPU machine the tasks form a gloo group.
"""
import os
import re
import socket
import subprocess
import sys

import pytest
import torch

from tests.conftest import REPO_DIR
from tests.test_engine.train_runs import CONFIG, make_tiny_data, read_trace

SRUN = r'''#!/usr/bin/env bash
# stand-in srun: record the options, then run --ntasks copies of the command here, with srun's variables
echo "$@" > "$SRUN_LOG"
ntasks=1
while [ $# -gt 0 ]; do
    case "$1" in
        --ntasks=*) ntasks=${1#--ntasks=}; shift ;;
        -p|-n|-N) shift 2 ;;
        -*) shift ;;
        *) break ;;
    esac
done
pids=()
for ((i = 0; i < ntasks; i++)); do
    SLURM_PROCID=$i SLURM_LOCALID=$i SLURM_NTASKS=$ntasks SLURM_NODELIST=standin-node SLURM_JOB_ID=1 "$@" &
    pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$?; done
exit $rc
'''
SCONTROL = '''#!/usr/bin/env bash
# stand-in scontrol: `scontrol show hostname NODELIST` -> this host
[ "$1 $2" = "show hostname" ] && echo 127.0.0.1
'''


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def slurm_env(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for name, text in (('srun', SRUN), ('scontrol', SCONTROL)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(('SLURM_', 'MASTER_', 'RANK', 'WORLD_SIZE'))}
    env.update(PATH=f'{bin_dir}{os.pathsep}{env["PATH"]}', SRUN_LOG=str(tmp_path / 'srun_args'),
               MASTER_PORT=str(_free_port()), PYTHON=sys.executable, GPUS='2', GPUS_PER_NODE='2',
               OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    return env


def _slurm(script, env, *args):
    return subprocess.run(['bash', str(REPO_DIR / 'tools' / script), *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=900)


@pytest.mark.slow
def test_slurm_train_then_test_on_two_tasks(tmp_path, slurm_env):
    data = make_tiny_data(tmp_path / 'data')
    work_dir = tmp_path / 'slurm'
    opts = ['--cfg-options', f'train_dataloader.dataset.data_root={data}', 'train_dataloader.batch_size=1',
            'train_cfg.max_iters=2']
    proc = _slurm('slurm_train.sh', slurm_env, 'gpu_partition', 'iart_job', CONFIG, work_dir, *opts)
    assert proc.returncode == 0, proc.stderr[-4000:]
    srun_args = (tmp_path / 'srun_args').read_text().split()
    assert srun_args[:7] == ['-p', 'gpu_partition', '--job-name=iart_job', '--gres=gpu:2', '--ntasks=2',
                             '--ntasks-per-node=2', '--cpus-per-task=5']
    assert '--launcher=slurm' in srun_args and f'--work-dir={work_dir}' in srun_args
    # two ranks in one DDP group: identical weights after every iteration (that this equals one process with the
    # same global batch is test_dist_train.py's check, for the same DDP set-up under torchrun)
    rank0, rank1 = read_trace(work_dir, 0), read_trace(work_dir, 1)
    assert sorted(rank0) == sorted(rank1) == [1, 2]
    assert all(rank0[i]['digest'] == rank1[i]['digest'] for i in rank0)
    if not torch.cuda.is_available():
        assert 'GPU number: 0 (CPU, 2 processes)' in proc.stdout + proc.stderr

    # evaluate that checkpoint on 2 tasks: the score of one process
    test_cfg = REPO_DIR / 'configs' / '_base_' / 'tiny_generated_vsr.py'
    # the tiny config's test loader has no sampler (each rank would score every clip): give it MMEngine's
    test_opts = ['--cfg-options', f'test_dataloader.dataset.data_root={data}',
                 'test_dataloader.dataset.num_input_frames=2', 'test_dataloader.dataset.fixed_seq_len=2',
                 'test_dataloader.sampler.type=DefaultSampler', 'test_dataloader.sampler.shuffle=False']
    proc = _slurm('slurm_test.sh', slurm_env, 'gpu_partition', 'iart_test', test_cfg, work_dir / 'iter_2.pth',
                  '--work-dir', tmp_path / 'slurm_test', *test_opts)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert '--launcher=slurm' in (tmp_path / 'srun_args').read_text().split()
    single = subprocess.run([sys.executable, str(REPO_DIR / 'tools' / 'test.py'), str(test_cfg),
                             str(work_dir / 'iter_2.pth'), '--work-dir', str(tmp_path / 'single_test'), *test_opts],
                            capture_output=True, text=True, env=slurm_env, timeout=900)
    assert single.returncode == 0, single.stderr[-4000:]
    score = re.compile(r'Iter\(test\) \[\d+/\d+\].*PSNR: ([\d.]+)\s+SSIM: ([\d.]+)')
    assert score.search(proc.stdout + proc.stderr).groups() == score.search(single.stdout + single.stderr).groups()


@pytest.mark.parametrize('script', ['slurm_train.sh', 'slurm_test.sh'])
def test_slurm_scripts_need_their_arguments(script):
    proc = subprocess.run(['bash', str(REPO_DIR / 'tools' / script), 'p', 'job', 'cfg'], capture_output=True,
                          text=True)
    assert proc.returncode == 2 and proc.stderr.startswith('error: usage:')

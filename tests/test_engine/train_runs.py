"""Helpers of the training tests: generate the tiny data, run tools/train.py (or dist_train.sh) on the
deterministic tiny config in a subprocess, read the per-rank traces and checkpoints."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from iart_mm.datasets.synthetic_clip import write_generated_dataset
from tests.paths import REPO_DIR

CONFIG = REPO_DIR / 'configs' / '_base_' / 'tiny_generated_vsr_deterministic.py'


def make_tiny_data(root):
    """2 clips x 2 frames, HR 256 (LR 64, SPyNet's minimum)."""
    write_generated_dataset(root, num_clips=2, num_frames=2, hr_size=256)
    return Path(root)


def _env():
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    env['PYTHONPATH'] = f'{REPO_DIR}{os.pathsep}{env.get("PYTHONPATH", "")}'
    return env


def train_cmd(data_root, work_dir, batch_size, extra=(), gpus=None, max_iters=None):
    opts = [f'train_dataloader.dataset.data_root={data_root}', f'train_dataloader.batch_size={batch_size}']
    if max_iters:
        opts.append(f'train_cfg.max_iters={max_iters}')
    args = [str(CONFIG), '--work-dir', str(work_dir), *extra, '--cfg-options', *opts]
    if gpus:
        return ['bash', str(REPO_DIR / 'tools' / 'dist_train.sh'), args[0], str(gpus), *args[1:]]
    return [sys.executable, str(REPO_DIR / 'tools' / 'train.py'), *args]


def run(cmd, timeout=600, port=None):
    env = _env()
    if port:
        env['PORT'] = str(port)
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    assert res.returncode == 0, f'{cmd} failed:\n{res.stderr[-3000:]}'
    return res


def run_and_kill_after(cmd, checkpoint, timeout=600):
    """Start ``cmd``, SIGKILL it as soon as ``checkpoint`` (and MMEngine's last_checkpoint) exist."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env())
    deadline = time.time() + timeout
    try:
        while not (checkpoint.exists() and (checkpoint.parent / 'last_checkpoint').exists()):
            assert proc.poll() is None, f'training ended (rc {proc.returncode}) before {checkpoint.name}'
            assert time.time() < deadline, 'timed out waiting for the checkpoint'
            time.sleep(0.2)
        time.sleep(0.5)  # let torch.save finish writing; the test resumes from this file
    finally:
        proc.kill()  # SIGKILL
        proc.wait()
    return proc.returncode


def read_trace(work_dir, rank=0):
    """{iter: record} of ``trace_rank<rank>.jsonl``."""
    lines = (Path(work_dir) / f'trace_rank{rank}.jsonl').read_text().splitlines()
    return {rec['iter']: rec for rec in map(json.loads, lines)}


def generator_weights(checkpoint, ema=False):
    """The generator's weights in an MMEngine checkpoint: the trained ones, or the EMA ones.

    With an EMAHook, MMEngine stores the EMA weights as ``state_dict`` and the trained ones in
    ``ema_state_dict`` (with a ``module.`` prefix).
    """
    ckpt = torch.load(str(checkpoint), map_location='cpu', weights_only=False)
    if 'ema_state_dict' in ckpt and not ema:
        state, prefix = ckpt['ema_state_dict'], 'module.generator.'
    else:
        state, prefix = ckpt['state_dict'], 'generator.'
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def spynet_part(weights, spynet=True):
    return {k: v for k, v in weights.items() if ('spynet' in k) == spynet}


def same_tensors(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

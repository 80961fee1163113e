"""Resume through CheckpointRunner: strict (a checkpoint of another model gives one line, exit 2), and the
MMEngine bookkeeping in the file loads with weights-only torch.load inside the scoped allow-list."""
import subprocess
import sys

import pytest
import torch

from iart_mm.datasets.synthetic_clip import write_generated_dataset
from iart_mm.utils.checkpoint_loading import checkpoint_safe_globals
from tests.paths import REPO_DIR

CFG = str(REPO_DIR / 'configs' / '_base_' / 'tiny_generated_vsr.py')


def train(*args):
    return subprocess.run([sys.executable, str(REPO_DIR / 'tools' / 'train.py'), CFG, *map(str, args)],
                          capture_output=True, text=True, cwd=REPO_DIR, timeout=1200)


@pytest.mark.slow
def test_resume_is_strict_and_loads_mmengine_bookkeeping(tmp_path):
    data = write_generated_dataset(tmp_path / 'data', num_clips=1, num_frames=4)
    opts = ['--cfg-options', *(f'{k}.dataset.data_root={data}' for k in ('train_dataloader', 'val_dataloader')),
            'train_cfg.val_interval=100', 'default_hooks.checkpoint.interval=1',
            'default_hooks.checkpoint.save_best=None']
    wd = tmp_path / 'wd'
    proc = train('--work-dir', wd, *opts, 'train_cfg.max_iters=1')
    assert proc.returncode == 0, proc.stderr[-3000:]

    with checkpoint_safe_globals():
        ckpt = torch.load(wd / 'iter_1.pth', map_location='cpu', weights_only=True)
    wider = {k: (torch.zeros(32, *v.shape[1:]) if k == 'generator.fusion.weight' else v)
             for k, v in ckpt['state_dict'].items()}
    torch.save(dict(ckpt, state_dict=wider), tmp_path / 'wider.pth')
    proc = train('--work-dir', tmp_path / 'other', '--resume', tmp_path / 'wider.pth', *opts, 'train_cfg.max_iters=2')
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and lines[-1].startswith(f'error: checkpoint {tmp_path / "wider.pth"} does not fit'), \
        proc.stderr[-3000:]
    assert 'shape mismatches (1): generator.fusion.weight (32, ' in lines[-1]

    proc = train('--work-dir', wd, '--resume', *opts, 'train_cfg.max_iters=2')
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 0, iter: 1' in log and 'do not match exactly' not in log

"""Where tools/train.py puts its checkpoints, how ``--resume`` finds them, and its one-line errors.

MMagic's bases send checkpoints to ``out_dir='./work_dirs'`` (plus the work dir's name), relative to the current
directory; here they land in ``--work-dir``, ``last_checkpoint`` holds an absolute path, and a resume started
from another directory continues the run. ``--amp`` on a machine without a GPU trains in fp32 and says so.
"""
import os
import re
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from iart_mm.apis.runner import check_load_from, keep_checkpoints_in_work_dir, latest_checkpoint, settle_resume
from iart_mm.datasets.synthetic_clip import write_generated_dataset
from iart_mm.utils.checkpoint_loading import checkpoint_safe_globals
from tests.conftest import REPO_DIR

TINY = REPO_DIR / 'configs' / '_base_' / 'tiny_generated_vsr.py'


def run_train(cwd, *args):
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    env['PYTHONPATH'] = f'{REPO_DIR}{os.pathsep}{env.get("PYTHONPATH", "")}'
    return subprocess.run([sys.executable, str(REPO_DIR / 'tools' / 'train.py'), *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=900)


@pytest.mark.slow
def test_checkpoints_in_work_dir_and_resume_from_another_directory(tmp_path):
    data = write_generated_dataset(tmp_path / 'data', num_clips=1, num_frames=4)
    config = tmp_path / 'mmagic_out_dir.py'  # the tiny config with the checkpoint out_dir of MMagic's bases
    config.write_text(f"_base_ = [{str(TINY)!r}]\ndefault_hooks = dict(checkpoint=dict(out_dir='./work_dirs'))\n")
    opts = ['--cfg-options'] + [f'{k}.dataset.data_root={data}' for k in ('train_dataloader', 'val_dataloader')]
    first, second = tmp_path / 'first_cwd', tmp_path / 'second_cwd'
    first.mkdir()
    second.mkdir()

    proc = run_train(first, config, '--work-dir', '../runs/wd', '--amp', *opts, 'train_cfg.max_iters=2')
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    work_dir = (tmp_path / 'runs' / 'wd').resolve()
    assert (work_dir / 'iter_2.pth').is_file()
    assert (work_dir / 'last_checkpoint').read_text().strip() == str(work_dir / 'iter_2.pth')
    assert not (first / 'work_dirs').exists()
    if not torch.cuda.is_available():
        assert '--amp: no accelerator (cpu), so training runs in fp32' in log

    proc = run_train(second, config, '--work-dir', work_dir, '--resume', *opts, 'train_cfg.max_iters=3')
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert 'resumed epoch: 0, iter: 2' in log, log[-3000:]
    with checkpoint_safe_globals():  # MMEngine's checkpoints hold its HistoryBuffer and numpy types
        assert torch.load(work_dir / 'iter_3.pth', weights_only=True)['meta']['iter'] == 3
    assert not (second / 'work_dirs').exists()


@pytest.mark.parametrize('args, message', [
    (['--cfg-options', 'load_from=missing/iter_600000.pth'], 'error: load_from checkpoint not found: missing/'),
    (['--resume', 'missing.pth'], 'error: checkpoint to resume from not found: missing.pth'),
    (['--launcher', 'slurm'], 'error: --launcher slurm needs srun'),
])
def test_one_line_errors(tmp_path, args, message):
    env_free = {k: v for k, v in os.environ.items() if not k.startswith('SLURM_')}
    proc = subprocess.run([sys.executable, str(REPO_DIR / 'tools' / 'train.py'), str(TINY), '--work-dir',
                           str(tmp_path / 'wd'), *args], capture_output=True, text=True, cwd=tmp_path,
                          env=dict(env_free, PYTHONPATH=str(REPO_DIR)), timeout=600)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and lines[-1].startswith(message), proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr


def _hook_cfg(out_dir):
    return Config(dict(default_hooks=dict(checkpoint=dict(type='CheckpointHook', out_dir=out_dir))))


def test_out_dir_rules(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # MMagic's relative out_dir: dropped, so checkpoints go to the (absolute) work dir
    assert keep_checkpoints_in_work_dir(_hook_cfg('./work_dirs')).default_hooks.checkpoint.out_dir is None
    # one the user gave on the command line: kept, made absolute
    cfg = keep_checkpoints_in_work_dir(_hook_cfg('ckpts'), {'default_hooks.checkpoint.out_dir': 'ckpts'})
    assert cfg.default_hooks.checkpoint.out_dir == str(tmp_path / 'ckpts')
    for kept in ('/abs/ckpts', 's3://bucket/ckpts', None):
        assert keep_checkpoints_in_work_dir(_hook_cfg(kept)).default_hooks.checkpoint.out_dir == kept


def test_latest_checkpoint_and_resume_settings(tmp_path, monkeypatch):
    work_dir = tmp_path / 'wd'
    work_dir.mkdir()
    cfg = Config(dict(work_dir=str(work_dir), load_from='init.pth', resume=False))
    assert latest_checkpoint(work_dir) is None
    assert settle_resume(cfg, True).resume is False and cfg.load_from == 'init.pth'  # nothing to resume yet
    (work_dir / 'iter_4.pth').write_bytes(b'')
    # a relative record, written by a run started elsewhere: found in the work dir
    (work_dir / 'last_checkpoint').write_text('./work_dirs/old_name/iter_4.pth')
    monkeypatch.chdir(tmp_path)
    assert latest_checkpoint(work_dir) == str(work_dir / 'iter_4.pth')
    cfg = settle_resume(cfg, True)
    assert cfg.resume is True and cfg.load_from == str(work_dir / 'iter_4.pth')
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_9.pth'))
    with pytest.raises(FileNotFoundError, match=re.escape('iter_9.pth, which does not exist')):
        latest_checkpoint(work_dir)


def test_load_from_check():
    assert check_load_from(Config(dict(load_from=None)))
    assert check_load_from(Config(dict(load_from='https://example.org/x.pth')))  # remote: loaded later
    with pytest.raises(FileNotFoundError, match='load_from=None'):
        check_load_from(Config(dict(load_from='missing.pth')))

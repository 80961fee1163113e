"""tools/train.py and tools/test.py on CPU: train a tiny BasicVSR on generated data, evaluate the saved
checkpoint with MMagic's PSNR/SSIM, then resume the run (weights-only loading under torch >= 2.6)."""
import os
import re
import subprocess
import sys

import pytest
import torch

from iart_mm.datasets.synthetic_clip import write_generated_dataset
from iart_mm.utils.checkpoint_loading import checkpoint_safe_globals
from tests.paths import REPO_DIR

CFG = str(REPO_DIR / 'configs' / '_base_' / 'tiny_generated_vsr.py')


def run_tool(tool, *args):
    return subprocess.run([sys.executable, str(REPO_DIR / 'tools' / tool), *map(str, args)], capture_output=True,
                          text=True, cwd=REPO_DIR, timeout=1200)


@pytest.mark.slow
def test_train_test_resume(tmp_path):
    data = write_generated_dataset(tmp_path / 'data', num_clips=1, num_frames=4)
    opts = ['--cfg-options'] + [f'{k}.dataset.data_root={data}' for k in
                                ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    wd = tmp_path / 'wd'

    proc = run_tool('train.py', CFG, '--work-dir', wd, *opts, 'train_cfg.max_iters=2')
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert re.search(r'Iter\(val\) \[1/1\].*PSNR: [\d.]+\s+SSIM: [\d.]+', log), log[-3000:]
    ckpt = wd / 'iter_2.pth'
    assert ckpt.is_file()
    with checkpoint_safe_globals():  # the scoped allow-list covers what MMEngine writes
        saved = torch.load(ckpt, weights_only=True)
    assert saved['meta']['iter'] == 2

    proc = run_tool('test.py', CFG, ckpt, '--work-dir', tmp_path / 'test', *opts)
    assert proc.returncode == 0, proc.stderr[-3000:]
    val_psnr = re.search(r'Iter\(val\) \[1/1\].*PSNR: ([\d.]+)', log).group(1)
    test_psnr = re.search(r'Iter\(test\) \[1/1\].*PSNR: ([\d.]+)', proc.stdout + proc.stderr).group(1)
    assert test_psnr == val_psnr  # the same weights on the same clip

    proc = run_tool('train.py', CFG, '--work-dir', wd, '--resume', *opts, 'train_cfg.max_iters=3')
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 0, iter: 2' in log, log[-3000:]
    assert re.search(r'Iter\(train\) \[3/3\]', log) and not re.search(r'Iter\(train\) \[1/3\]', log)
    with checkpoint_safe_globals():
        assert torch.load(wd / 'iter_3.pth', weights_only=True)['meta']['iter'] == 3


def test_missing_files_are_one_line_errors(tmp_path):
    proc = run_tool('test.py', CFG, tmp_path / 'none.pth')
    assert proc.returncode == 2 and proc.stderr.strip().splitlines()[-1].startswith('error: checkpoint not found')
    proc = run_tool('train.py', tmp_path / 'none.py')
    assert proc.returncode == 2 and proc.stderr.strip().splitlines()[-1].startswith('error: config not found')


@pytest.mark.slow
def test_test_tool_needs_no_training_data(tmp_path):
    """MMagic's BasicVisualizationHook would build the training dataloader (it reads runner.iter): with the
    training folder absent, tools/test.py still evaluates and dumps its images."""
    data = write_generated_dataset(tmp_path / 'data', num_clips=1, num_frames=4)
    cfg = tmp_path / 'with_vis.py'
    cfg.write_text(f"_base_ = [{CFG!r}]\ncustom_hooks = [dict(type='BasicVisualizationHook', interval=1)]\n")
    from mmengine import Config

    from iart_mm.apis import init_model
    ckpt = tmp_path / 'random.pth'
    torch.save({'state_dict': {f'generator.{k}': v for k, v in init_model(Config.fromfile(CFG)).state_dict().items()}},
               ckpt)
    proc = run_tool('test.py', cfg, ckpt, '--work-dir', tmp_path / 'wd', '--cfg-options',
                    f'train_dataloader.dataset.data_root={tmp_path / "absent"}',
                    f'test_dataloader.dataset.data_root={data}')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r'Iter\(test\) \[1/1\].*PSNR: [\d.]+', proc.stdout + proc.stderr)
    assert list((tmp_path / 'wd').rglob('*.png')), 'the visualization hook wrote no image'


@pytest.mark.parametrize('tool, preset, expected', [('train.py', None, '1'), ('train.py', '0', '0'),
                                                    ('test.py', None, '1'), ('demo.py', None, '1'),
                                                    ('inference_video.py', '0', '0'),
                                                    ('inference_video.py', None, '1')])
def test_tools_set_torch_huge_pages_before_torch_loads(tool, preset, expected):
    # As a script (run here as Python runs one: its folder first on sys.path), each tool puts
    # THP_MEM_ALLOC_ENABLE in the environment before anything imports torch (PyTorch reads it once); a value the
    # user set is kept.
    code = ('import os, runpy, sys; sys.argv = [{tool!r}, "--help"]; sys.path.insert(0, {tools!r})\n'
            'try:\n    runpy.run_path({path!r}, run_name="__main__")\nexcept SystemExit:\n    pass\n'
            'print(os.environ.get("THP_MEM_ALLOC_ENABLE"))').format(tool=tool, tools=str(REPO_DIR / 'tools'),
                                                       path=str(REPO_DIR / 'tools' / tool))
    env = {k: v for k, v in os.environ.items() if k != 'THP_MEM_ALLOC_ENABLE'}
    if preset is not None:
        env['THP_MEM_ALLOC_ENABLE'] = preset
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=REPO_DIR, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-1] == expected


def test_tool_entry_imports_no_torch():
    # run_tool sets the huge-page switch that PyTorch reads at its first allocation: importing it must not load torch
    code = ('import sys; sys.path.insert(0, {!r}); import tool_entry; '
            'print("torch" in sys.modules)').format(str(REPO_DIR / 'tools'))
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=REPO_DIR, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-1] == 'False'

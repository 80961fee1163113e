"""tools/dist_test.sh and tools/test.py on the README's tiny config and on bad input.

The tiny config's test loader has no sampler: under 2 processes each rank used to score both clips and the merged
mean counted clip 0 twice. Now the score printed by ``dist_test.sh ... 2`` equals the one-process score.
"""
import os
import re
import socket
import subprocess
import sys

import pytest
import torch
from mmengine import Config

from iart_mm.datasets.synthetic_clip import write_generated_dataset
from tests.conftest import REPO_DIR
from tests.stand_in_sets import write_stand_in_sets
from tests.test_tools.test_test_configs import as_cli, random_checkpoint

TINY = REPO_DIR / 'configs' / '_base_' / 'tiny_generated_vsr.py'


def run(cmd, cwd=REPO_DIR, **env):
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=900,
                          env=dict(os.environ, **env))
    return proc.returncode, proc.stdout, proc.stderr


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def random_tiny_checkpoint(path):
    from iart_mm.apis import init_model
    model = init_model(Config.fromfile(str(TINY)))
    torch.save({'state_dict': {f'generator.{k}': v for k, v in model.state_dict().items()}}, path)
    return path


@pytest.mark.slow
def test_dist_test_of_a_loader_without_sampler_equals_one_process(tmp_path):
    data = write_generated_dataset(tmp_path / 'data', num_clips=3, num_frames=4)
    ckpt = random_tiny_checkpoint(tmp_path / 'random.pth')
    opts = ['--cfg-options', f'test_dataloader.dataset.data_root={data}']
    code, out, err = run([sys.executable, REPO_DIR / 'tools' / 'test.py', TINY, ckpt, '--work-dir', tmp_path / 'a',
                          *opts])
    assert code == 0, err[-3000:]
    single = re.findall(r'Iter\(test\) \[3/3\]\s+(PSNR: \S+\s+SSIM: \S+)', out + err)
    code, out, err = run(['bash', REPO_DIR / 'tools' / 'dist_test.sh', TINY, ckpt, 2, '--work-dir', tmp_path / 'b',
                          *opts], PORT=str(free_port()), PYTHON=sys.executable)
    assert code == 0, err[-3000:]
    dist = re.findall(r'Iter\(test\) \[2/2\]\s+(PSNR: \S+\s+SSIM: \S+)', out + err)  # rank 0 scored 2 of 3 clips
    assert single and dist == single, (single, dist)


@pytest.mark.parametrize('gpus', ['0', 'two'])
def test_dist_test_rejects_a_bad_process_count(gpus, tmp_path):
    code, out, err = run(['bash', REPO_DIR / 'tools' / 'dist_test.sh', TINY, tmp_path / 'x.pth', gpus])
    assert code == 2 and err.strip() == ('error: GPUS must be a positive number of processes per node '
                                         f"(one per GPU, or CPU processes), got '{gpus}'")


def test_dist_test_names_a_missing_file(tmp_path):
    code, out, err = run(['bash', REPO_DIR / 'tools' / 'dist_test.sh', tmp_path / 'none.py', tmp_path / 'x.pth', 2])
    assert code == 2 and err.strip() == f'error: config not found: {tmp_path / "none.py"}'
    code, out, err = run(['bash', REPO_DIR / 'tools' / 'dist_test.sh', TINY, tmp_path / 'x.pth', 2])
    assert code == 2 and err.strip() == f'error: checkpoint not found: {tmp_path / "x.pth"}'


@pytest.mark.slow
def test_a_clip_shorter_than_its_annotation_is_a_one_line_error(tmp_path):
    """REDS4 with clip 011 cut to 3 frames while the meta file says 5: exit 2, one line naming the clip."""
    data = write_stand_in_sets(tmp_path)
    for name in ('00000003.png', '00000004.png'):
        (data / 'REDS' / 'train_sharp_bicubic' / 'X4' / '011' / name).unlink()
    config = REPO_DIR / 'configs' / 'ia_basicvsr' / 'ia-basicvsr_c64n30_test-reds4.py'
    opts = {'model.generator.mid_channels': 8, 'model.generator.num_blocks': 1, 'model.generator.aligner.num_heads': 2}
    random_checkpoint(config, opts, tmp_path / 'random.pth')
    code, out, err = run([sys.executable, REPO_DIR / 'tools' / 'test.py', config, tmp_path / 'random.pth',
                          '--work-dir', tmp_path / 'wd', *as_cli(opts)], cwd=tmp_path)
    assert code == 2, (out + err)[-3000:]
    assert err.strip().splitlines()[-1] == (
        "error: clip '011': meta_info_reds4_val.txt lists 5 frames but data/REDS/train_sharp_bicubic/X4/011 holds 3")

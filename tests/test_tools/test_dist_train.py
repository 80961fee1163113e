"""tools/dist_train.sh on CPU: 2 processes (torchrun + MMEngine's pytorch launcher, gloo chosen automatically)
train the deterministic tiny config through the SPyNet unfreeze (fix_iter = 3) without a crash; every iteration
the weights are bit-identical on both ranks, and after 4 iterations they are within 1e-5 of a 1-process run with
the same global batch (2 = 2 ranks x 1)."""
import socket
import subprocess

import pytest
import torch

from tests.paths import REPO_DIR
from tests.test_engine.train_runs import generator_weights, make_tiny_data, read_trace, run, train_cmd

def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_process_gloo_ddp_matches_single_process(tmp_path):
    data = make_tiny_data(tmp_path / 'data')
    run(train_cmd(data, tmp_path / 'single', batch_size=2, max_iters=4))
    run(train_cmd(data, tmp_path / 'ddp', batch_size=1, max_iters=4, gpus=2), port=_free_port())
    rank0, rank1 = read_trace(tmp_path / 'ddp', 0), read_trace(tmp_path / 'ddp', 1)
    assert sorted(rank0) == sorted(rank1) == [1, 2, 3, 4]
    for i in rank0:
        assert rank0[i]['digest'] == rank1[i]['digest'], f'ranks differ after iteration {i}'
    assert [rank0[i]['spynet_trainable'] for i in (1, 2, 3, 4)] == [False, False, False, True]
    single, ddp = generator_weights(tmp_path / 'single' / 'iter_4.pth'), generator_weights(tmp_path / 'ddp' / 'iter_4.pth')
    assert single.keys() == ddp.keys()
    worst = max((single[k].double() - ddp[k].double()).abs().max().item() for k in single)
    assert worst <= 1e-5, f'max |single - ddp| = {worst}'
    spynet_moved = max((single[k] - generator_weights(tmp_path / 'ddp' / 'iter_3.pth')[k]).abs().max().item()
                       for k in single if 'spynet' in k)
    assert spynet_moved > 0  # SPyNet did train in iteration 4 under DDP


def test_dist_scripts_need_their_arguments():
    for script, nargs in (('dist_train.sh', 1), ('dist_test.sh', 2)):
        res = subprocess.run(['bash', str(REPO_DIR / 'tools' / script)] + ['x'] * nargs, capture_output=True, text=True)
        assert res.returncode == 2 and res.stderr.startswith('error: usage:')


@pytest.mark.parametrize('gpus', ['0', '-1', 'two', ''])
def test_dist_scripts_refuse_a_bad_process_count(gpus):
    # torchrun would answer with a bare AssertionError (0) or a ValueError traceback
    for script, args in (('dist_train.sh', ['cfg.py', gpus]), ('dist_test.sh', ['cfg.py', 'ckpt.pth', gpus])):
        res = subprocess.run(['bash', str(REPO_DIR / 'tools' / script), *args], capture_output=True, text=True)
        assert res.returncode == 2, res.stderr
        assert res.stderr.splitlines() == [
            f"error: GPUS must be a positive number of processes per node (one per GPU, or CPU processes), got '{gpus}'"]

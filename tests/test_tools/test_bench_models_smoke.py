"""Smoke tests of tools/benchmarks/bench_models.py's new modes on a tiny network (no timings asserted).

- the training-step pieces: release (reentrant checkpoint) and net (non-reentrant) give the same gradients of the
  input and of every parameter, under the release's key names;
- the checkpoint written for ``--end-to-end`` loads strictly into the model of the IART test config;
- bad CLI input is a one-line ``error:`` with exit status 2, before any case runs.
"""
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from tests.paths import REPO_DIR

BENCH_DIR = REPO_DIR / 'tools' / 'benchmarks'
sys.path.insert(0, str(BENCH_DIR))
import bench_models  # noqa: E402
from bench_training_step import fixed_target, grad_diff, release_named_grads, train_step  # noqa: E402
from reference_iart import ReleaseIART  # noqa: E402

# one plain and one shifted block, small windows: a training step takes about a second
TINY = dict(mid_channels=16, embed_dim=16, depths=(2, ), num_heads=(2, ), window_size=(3, 4, 4))


@pytest.fixture(scope='module')
def tiny_state():
    torch.manual_seed(0)
    model = ReleaseIART(**TINY)
    with torch.no_grad():  # a non-zero bias table, else its gradient path is trivially equal
        for name, p in model.named_parameters():
            if 'relative_position_bias_table' in name:
                p.normal_()
    return model.state_dict()


def test_train_step_gradients_release_equal_net(tiny_state):
    lq = torch.rand(1, 2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    target = fixed_target(lq)
    grads, losses = {}, {}
    for impl in ('release', 'net'):
        model = bench_models.build(impl, TINY, tiny_state).train()
        losses[impl], input_grad = train_step(model, lq, target)
        grads[impl] = release_named_grads(model, input_grad)
    assert losses['release'] == pytest.approx(losses['net'], rel=1e-6)
    assert any(k.startswith('implicit_warp.') for k in grads['net'])  # renamed back from aligner.*
    assert 'swin_backbone.forward_2.layers.0.residual_group.blocks.1.attn.relative_position_bias_table' \
        in grads['net']
    diff, scale = grad_diff(grads['release'], grads['net'])
    assert scale > 0 and diff <= 1e-4 * scale
    del grads['net']['conv_first.weight']
    with pytest.raises(ValueError, match='conv_first.weight'):
        grad_diff(grads['release'], grads['net'])


def test_end_to_end_checkpoint_loads_strictly(tmp_path, tiny_state):
    from mmagic.registry import MODELS
    torch.save(tiny_state, tmp_path / 'weights.pth')
    bench_models.write_net_checkpoint(tmp_path / 'weights.pth', tmp_path / 'ckpt.pth')
    cfg = Config.fromfile(str(bench_models.E2E_CONFIG))
    cfg.model.generator.update(TINY, spynet_pretrained=None)
    model = MODELS.build(cfg.model)
    state = torch.load(tmp_path / 'ckpt.pth', weights_only=True)['state_dict']
    model.load_state_dict(state, strict=True)
    assert torch.equal(model.generator.aligner.q.weight, tiny_state['implicit_warp.q.weight'])


@pytest.mark.parametrize('args, message', [
    (['--clips', '5x64'], "bad clip '5x64'"),
    (['--clips', '5x32x64', '--end-to-end'], 'too small'),
    (['--allocators', 'tuned,jemalloc'], '--allocators'),
    (['--repeats', '0', '--train-step'], '--repeats must be >= 1'),
    (['--train-step', '--ia-overhead'], 'not allowed with'),
])
def test_bad_input_is_one_line_error(args, message):
    proc = subprocess.run([sys.executable, str(BENCH_DIR / 'bench_models.py'), *args], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ''
    last = proc.stderr.strip().splitlines()[-1]
    assert 'error:' in last and message in last, proc.stderr

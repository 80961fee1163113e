"""Exact resume after SIGKILL and the SPyNet fix_iter switch, on the deterministic tiny config (CPU).

Reference: one uninterrupted 5-iteration run (fix_iter = 3: SPyNet frozen in iterations 1-3, trained from 4).
- killed with SIGKILL after checkpoint 2 (inside the frozen phase), resumed from it: iterations 3-5 reproduce the
  reference losses and weights bit-exactly, and SPyNet unfreezes at iteration 4 as in the reference;
- resumed from checkpoint 4 (after the switch): iteration 5 reproduces the reference.
"""
import pytest

from tests.test_engine.train_runs import (generator_weights, make_tiny_data, read_trace, run, run_and_kill_after, same_tensors,
                         spynet_part, train_cmd)

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    root = tmp_path_factory.mktemp('resume')
    data = make_tiny_data(root / 'data')
    work = root / 'uninterrupted'
    run(train_cmd(data, work, batch_size=2))
    return data, work, root


def test_fix_iter_switch_without_resume(reference):
    _, work, _ = reference
    trace = read_trace(work)
    assert [trace[i]['spynet_trainable'] for i in range(1, 6)] == [False, False, False, True, True]
    w = {i: generator_weights(work / f'iter_{i}.pth') for i in (1, 3, 4)}
    assert same_tensors(spynet_part(w[1]), spynet_part(w[3]))  # frozen through iteration 3
    assert not same_tensors(spynet_part(w[3]), spynet_part(w[4]))  # trained in iteration 4
    assert not same_tensors(spynet_part(w[1], False), spynet_part(w[3], False))  # the rest trains all along


def test_sigkill_then_resume_inside_frozen_phase_is_exact(reference):
    data, work, root = reference
    killed = root / 'killed'
    cmd = train_cmd(data, killed, batch_size=2)
    run_and_kill_after(cmd, killed / 'iter_2.pth')
    resumed = root / 'resumed'
    run(train_cmd(data, resumed, batch_size=2, extra=['--resume', str(killed / 'iter_2.pth')]))
    ref, got = read_trace(work), read_trace(resumed)
    assert sorted(got) == [3, 4, 5]
    for i in (3, 4, 5):
        assert got[i] == ref[i], f'iteration {i} differs after resume'
    for ema in (False, True):
        assert same_tensors(generator_weights(resumed / 'iter_5.pth', ema), generator_weights(work / 'iter_5.pth', ema))
    assert same_tensors(spynet_part(generator_weights(resumed / 'iter_3.pth')),
                        spynet_part(generator_weights(killed / 'iter_2.pth')))


def test_resume_after_the_switch_is_exact(reference):
    data, work, root = reference
    resumed = root / 'resumed_after_switch'
    run(train_cmd(data, resumed, batch_size=2, extra=['--resume', str(work / 'iter_4.pth')]))
    assert read_trace(resumed)[5] == read_trace(work)[5]
    assert read_trace(resumed)[5]['spynet_trainable']

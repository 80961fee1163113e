"""Training-step cases of ``bench_models.py``: IART release vs net, and IA-BasicVSR vs BasicVSR (CPU, fp32).

A *step* is forward + backward of a Charbonnier loss (MMagic's, mean, eps 1e-12) against a fixed random target;
no optimizer update (the same for every implementation, so it would only dilute the ratios).

- ``--train-step``: ``release`` (``tests/reference/release_iart.ReleaseIART`` in train mode: reentrant checkpoint around every
  Swin block, as released) against ``net`` (``IAPSRTRecurrentNet`` in train mode: non-reentrant per-block
  checkpoint, ``drop_path_rate=0`` so that it is deterministic; the release has no stochastic depth). Same
  weights and input, so the gradients of the input and of every parameter must agree; the parent prints the
  largest absolute difference over all of them and that difference relative to the largest gradient.
- ``--ia-overhead``: MMagic's ``BasicVSRNet`` against ``IABasicVSRNet``, both built from the generator of
  ``configs/ia_basicvsr`` (``BasicVSRNet`` takes its ``mid_channels`` / ``num_blocks``), step time and inference
  time; the parent prints IA's overhead in percent.

Every case runs in a fresh subprocess (``bench_models.py --worker``); this module holds the pieces of a step
(loss, target, timing, gradient comparison, the IA-BasicVSR generators); ``bench_models`` runs the cases.
"""
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
IA_CONFIG = REPO / 'configs' / 'ia_basicvsr' / 'ia-basicvsr_c64n30_2xb4-300k_reds4.py'
IA_IMPLS = ('basicvsr', 'ia-basicvsr')


def charbonnier(pred, target, eps=1e-12):
    """MMagic's ``CharbonnierLoss`` (reduction mean): mean of sqrt((pred - target)^2 + eps)."""
    import torch
    return torch.sqrt((pred - target)**2 + eps).mean()


def fixed_target(lq):
    """A random x4 target for ``lq`` (n, t, 3, h, w), the same in every process."""
    import torch
    n, t, c, h, w = lq.shape
    return torch.rand(n, t, c, 4 * h, 4 * w, generator=torch.Generator().manual_seed(1))


def timed(fn, repeats, warmup=0):
    """Seconds of each of ``repeats`` calls of ``fn`` after ``warmup`` untimed ones; and the last result."""
    for _ in range(warmup):
        fn()
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return times, out


def train_step(model, lq, target):
    """Zero the grads, forward + backward of the Charbonnier loss; returns (loss, input gradient)."""
    model.zero_grad(set_to_none=True)
    x = lq.clone().requires_grad_(True)
    loss = charbonnier(model(x), target)
    loss.backward()
    return loss.item(), x.grad


def release_named_grads(model, input_grad):
    """``{'input': grad, <release key>: grad}`` for every parameter that got one (net's ``aligner.*`` renamed back
    to the release's ``implicit_warp.*``, MMagic's SPyNet keys to BasicSR's)."""
    grads = {'input': input_grad}
    for name, p in model.named_parameters():
        if p.grad is not None:
            name = name.replace('aligner.', 'implicit_warp.', 1) if name.startswith('aligner.') else name
            name = re.sub(r'^(spynet\.basic_module\.\d+\.basic_module\.)(\d+)\.conv\.',
                          lambda m: f'{m.group(1)}{2 * int(m.group(2))}.', name)
            grads[name] = p.grad
    return grads


def grad_diff(ref, other):
    """(max abs difference, max abs reference value) over all gradients; the two must name the same tensors."""
    if set(ref) != set(other):
        raise ValueError(f'gradients differ in which tensors got one: {sorted(set(ref) ^ set(other))[:6]}')
    diff = max((ref[k] - other[k]).abs().max().item() for k in ref)
    scale = max(ref[k].abs().max().item() for k in ref)
    return diff, scale


def ia_generators(config=IA_CONFIG):
    """``{impl: generator cfg}``: the config's IABasicVSRNet, and BasicVSRNet with its mid_channels/num_blocks."""
    from mmengine.config import Config
    gen = Config.fromfile(str(config)).model.generator.to_dict()
    gen.pop('_scope_', None)
    gen['spynet_pretrained'] = None  # a URL in the config; the benchmark uses random weights offline
    basic = dict(type='BasicVSRNet', mid_channels=gen['mid_channels'], num_blocks=gen['num_blocks'],
                 spynet_pretrained=None)
    return {'basicvsr': basic, 'ia-basicvsr': gen}


def peak_rss_gib():
    """This process's peak resident size so far (Linux ``ru_maxrss`` is in KiB)."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


if __name__ == '__main__':
    sys.exit('run tools/benchmarks/bench_models.py --train-step or --ia-overhead')

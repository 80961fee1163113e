"""Benchmark the full IART network against a literal re-implementation of the released forward (CPU, eval).

Implementations (same weights, same input, fp32, ``torch.no_grad``):
- ``release``: ``reference_iart.ReleaseIART``, the released forward (unfused attention with the bias gathered
  per call, per-pixel IA tensors, reentrant checkpoint around every Swin block, layout copies);
- ``net``: ``iart_mm``'s ``IAPSRTRecurrentNet`` as it is;
- ``net+fused``: the same network with its Swin blocks' attention replaced, in this benchmark process only, by
  ``fused_window_attention.fused_shifted_window_attention`` (cached bias+shift mask, one SDPA call): what the
  wiring proposed in issue 10 gives.

Allocators: ``default`` (glibc defaults) and ``tuned`` (``MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184
MALLOC_TOP_PAD_=1073741824``, set in the child's environment, the same as ``iart_mm.utils.allocator``).

Each (implementation, allocator, clip) case runs in a fresh subprocess and reports the median of ``--repeats``
forwards (the first included: no separate warm-up, a release forward takes ~1 min) and the process's peak RSS
(``ru_maxrss``: includes imports and weights, equal for all cases). The parent prints the max abs difference of
every output against the ``release`` output of the same clip. The machine is shared: read the ratios of one run.

Usage:
    python tools/benchmarks/bench_models.py --quick          # small official config (2.1M params), 5x64x64
    python tools/benchmarks/bench_models.py                  # released config (13.4M, random weights),
                                                             # 5x64x64 and 10x64x112, 3 repeats
    python tools/benchmarks/bench_models.py --sdpa-backends  # which SDPA kernel runs for head dim 20 / 24
    python tools/benchmarks/bench_models.py --block          # one Swin block's attention, released dims,
                                                             # 3x64x64 and 3x64x112, in-process
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SMALL_STATE = REPO.parent / 'shared' / 'reference' / 'iart_official' / 'iart_small_official_state.pth'
SMALL_IO = REPO.parent / 'shared' / 'reference' / 'iart_official' / 'iart_small_io.pth'
IMPLS = ('release', 'net', 'net+fused')
TUNED_ENV = {'MALLOC_MMAP_MAX_': '0', 'MALLOC_TRIM_THRESHOLD_': '17179869184', 'MALLOC_TOP_PAD_': '1073741824'}
RELEASED = dict(mid_channels=64, embed_dim=120, depths=(6, 6, 6), num_heads=(6, 6, 6), window_size=(3, 8, 8))


def small_config():
    import torch
    cfg = torch.load(SMALL_STATE, weights_only=True)['config']
    return {k: cfg[k] for k in ('mid_channels', 'embed_dim', 'depths', 'num_heads', 'window_size')}


def make_weights(config_name, path):
    """Write the release-layout state dict (MMagic SPyNet keys) shared by every case."""
    import torch
    sys.path.insert(0, str(HERE))
    from reference_iart import ReleaseIART, release_from_official
    if config_name == 'small':
        model = release_from_official(torch.load(SMALL_STATE, weights_only=True)['params'], small_config())
    else:
        torch.manual_seed(0)
        model = ReleaseIART(**RELEASED)
        with torch.no_grad():  # non-trivial tables and norms (their inits are zeros / ones)
            for name, p in model.named_parameters():
                if 'relative_position_bias_table' in name:
                    p.normal_()
                elif 'norm' in name:
                    p.add_(torch.randn_like(p) * 0.1)
    torch.save(model.state_dict(), path)


def build(impl, config, state):
    if impl == 'release':
        from reference_iart import ReleaseIART
        model = ReleaseIART(**config)
        model.load_state_dict(state)
        return model.eval()
    from iart_mm.checkpoint.official import UNUSED_OFFICIAL_KEYS
    from iart_mm.models.editors.iart import IAPSRTRecurrentNet
    net_state = {k.replace('implicit_warp.', 'aligner.'): v for k, v in state.items() if k not in UNUSED_OFFICIAL_KEYS}
    model = IAPSRTRecurrentNet(**config, drop_path_rate=0.)
    model.load_state_dict(net_state, strict=True)
    if impl == 'net+fused':
        from iart_mm.models.editors.iart import swin_backbone
        from iart_mm.models.editors.iart.fused_window_attention import fused_shifted_window_attention

        def _attention(self, x):
            return fused_shifted_window_attention(self.attn, self.norm1(x), self.shift_size)

        swin_backbone.SwinBlock3D._attention = _attention
    return model.eval()


def worker(args):
    import torch
    sys.path.insert(0, str(HERE))
    config = small_config() if args.config == 'small' else dict(RELEASED)
    model = build(args.impl, config, torch.load(args.weights, weights_only=True))
    lq = torch.load(args.input, weights_only=True)
    times = []
    with torch.no_grad():
        for _ in range(args.repeats):
            start = time.perf_counter()
            out = model(lq)
            times.append(time.perf_counter() - start)
    torch.save(out, args.output)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    print(json.dumps(dict(times=times, peak_rss_gib=peak, threads=torch.get_num_threads())))


def run_case(impl, alloc, clip_name, args, weights, inputs, outdir):
    env = dict(os.environ)
    for k in TUNED_ENV:
        env.pop(k, None)
    if alloc == 'tuned':
        env.update(TUNED_ENV)
    out = Path(outdir) / f'{impl}-{alloc}-{clip_name}.pth'
    cmd = [sys.executable, __file__, '--worker', '--impl', impl, '--config', args.config_name, '--weights', weights,
           '--input', inputs[clip_name], '--output', str(out), '--repeats', str(args.repeats)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f'error: case {impl}/{alloc}/{clip_name} failed: {proc.stderr.strip().splitlines()[-1:]}')
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res['output'] = out
    return res


def sdpa_backends():
    import torch
    import torch.nn.functional as F
    from torch.profiler import profile
    for d in (20, 24):
        q, k, v = (torch.randn(1, 64 * 6, 192, d) for _ in range(3))
        mask = torch.randn(1, 64 * 6, 192, 192)
        with torch.no_grad():
            with profile() as prof:
                F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
            kernels = sorted({e.key for e in prof.key_averages() if e.key.startswith('aten::_scaled_dot')})
            times = []
            for _ in range(7):
                start = time.perf_counter()
                F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
                times.append(time.perf_counter() - start)
        print(f'head_dim {d}: kernel {kernels}, median {statistics.median(times) * 1e3:.1f} ms '
              f'(384 windows x heads, N=192, float mask)')


def block_bench(repeats):
    """Attention half of one Swin block (C=120, 6 heads, window 3x8x8): release vs net vs fused."""
    import torch
    sys.path.insert(0, str(HERE))
    from reference_iart import ReleaseSwinBlock, compute_mask
    from iart_mm.models.editors.iart.fused_window_attention import fused_shifted_window_attention
    from iart_mm.models.editors.iart.swin_backbone import SwinBlock3D
    torch.manual_seed(0)
    for shifted in (False, True):
        shift = (3, 4, 4) if shifted else (0, 0, 0)
        release = ReleaseSwinBlock(120, 6, (3, 8, 8), shift).eval()
        with torch.no_grad():
            release.attn.relative_position_bias_table.normal_()
        net = SwinBlock3D(120, 6, (3, 8, 8), shift).eval()
        net.load_state_dict(release.state_dict())
        net.norm1 = torch.nn.Identity()  # every variant below takes the already normalised clip
        for h, w in ((64, 64), (64, 112)):
            x = torch.randn(1, 3, h, w, 120)
            mask = compute_mask(3, h, w, (3, 8, 8), (3, 4, 4), x.device)
            fns = {'release': lambda: release.attention(x, mask), 'net': lambda: net._attention(x),
                   'fused': lambda: fused_shifted_window_attention(net.attn, x, shift)}
            res = {}
            with torch.no_grad():
                for name, fn in fns.items():
                    out = fn()
                    times = []
                    for _ in range(repeats):
                        start = time.perf_counter()
                        fn()
                        times.append(time.perf_counter() - start)
                    res[name] = (statistics.median(times), out)
            base_t, base_out = res['release']
            for name, (t, out) in res.items():
                print(f'block 3x{h}x{w} shifted={shifted!s:5} {name:>8}: {t * 1e3:8.1f} ms  x{base_t / t:5.2f}  '
                      f'max|diff| {(out - base_out).abs().max().item():.1e}', flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true', help='small official config, 5x64x64, 2 repeats')
    parser.add_argument('--repeats', type=int, default=None)
    parser.add_argument('--clips', default=None, help='comma list of TxHxW, e.g. 5x64x64,10x64x112')
    parser.add_argument('--impls', default=','.join(IMPLS))
    parser.add_argument('--allocators', default='default,tuned')
    parser.add_argument('--sdpa-backends', action='store_true')
    parser.add_argument('--block', action='store_true', help='block-level attention timing only')
    # worker mode (internal)
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--impl', help=argparse.SUPPRESS)
    parser.add_argument('--config', help=argparse.SUPPRESS)
    parser.add_argument('--weights', help=argparse.SUPPRESS)
    parser.add_argument('--input', help=argparse.SUPPRESS)
    parser.add_argument('--output', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    if args.sdpa_backends:
        return sdpa_backends()
    if args.block:
        return block_bench(args.repeats or 5)
    import torch
    args.config_name = 'small' if args.quick else 'released'
    args.repeats = args.repeats or (2 if args.quick else 3)
    clips = (args.clips or ('5x64x64' if args.quick else '5x64x64,10x64x112')).split(',')
    impls = args.impls.split(',')
    if 'release' not in impls or any(i not in IMPLS for i in impls):
        print(f'error: --impls must include release and be among {IMPLS}', file=sys.stderr)
        sys.exit(2)
    if args.quick and not SMALL_STATE.is_file():
        print(f'error: --quick needs {SMALL_STATE}', file=sys.stderr)
        sys.exit(2)
    with tempfile.TemporaryDirectory() as tmp:
        weights = str(Path(tmp) / 'weights.pth')
        make_weights(args.config_name, weights)
        inputs = {}
        for clip in clips:
            try:
                t, h, w = (int(v) for v in clip.split('x'))
            except ValueError:
                print(f'error: bad clip {clip!r}, expected TxHxW', file=sys.stderr)
                sys.exit(2)
            if args.quick and (t, h, w) == (5, 64, 64):
                lq = torch.load(SMALL_IO, weights_only=True)['lq']
            else:
                lq = torch.rand(1, t, 3, h, w, generator=torch.Generator().manual_seed(t * h * w))
            inputs[clip] = str(Path(tmp) / f'lq-{clip}.pth')
            torch.save(lq, inputs[clip])
        print(f'config {args.config_name}, repeats {args.repeats}, torch {torch.__version__}, '
              f'{os.cpu_count()} cpus, load avg at start {os.getloadavg()[0]:.1f}')
        print(f'{"clip":>9} {"alloc":>7} {"impl":>10} {"median s":>9} {"speedup":>8} {"peak RSS GiB":>13} '
              f'{"RSS ratio":>9} {"max|diff|":>10}')
        for clip in clips:
            for alloc in args.allocators.split(','):
                base = None
                for impl in impls:
                    res = run_case(impl, alloc, clip, args, weights, inputs, tmp)
                    med = statistics.median(res['times'])
                    out = torch.load(res['output'], weights_only=True)
                    if impl == 'release':
                        base = dict(med=med, rss=res['peak_rss_gib'], out=out)
                    diff = (out - base['out']).abs().max().item()
                    print(f'{clip:>9} {alloc:>7} {impl:>10} {med:9.2f} {base["med"] / med:8.2f} '
                          f'{res["peak_rss_gib"]:13.2f} {res["peak_rss_gib"] / base["rss"]:9.2f} {diff:10.2e}',
                          flush=True)
        print(f'load avg at end {os.getloadavg()[0]:.1f}')


if __name__ == '__main__':
    main()

"""Benchmark the aligners against the release's literal implicit alignment (time and peak memory, CPU).

Every case (aligner x LR size x C x forward/forward+backward) runs in two fresh subprocesses:
- memory: the peak *resident* memory of the measured call above the resident memory just before it. The
  subprocess runs with ``MALLOC_MMAP_THRESHOLD_=65536`` so glibc serves every tensor-sized block by mmap and
  returns it on free (with the default dynamic threshold, freed blocks up to 32 MB stay in the heap and later
  allocations reuse them, which hides or inflates peaks); the high-water mark is reset right before the call by
  writing 5 to ``/proc/self/clear_refs`` and read back from ``VmHWM``. This is the true tensor peak of the call
  (plus small allocator slack), including transients that a "memory after the call" reading misses, and it needs no
  profiler (whose own bookkeeping slows the call). One untimed warm-up call precedes it, so one-time library
  initialisation is not counted.
- time: the median of ``--repeats`` calls after one untimed warm-up call, in a second fresh process that runs
  with glibc's default allocator settings (what users run).
Cases of one (size, C, mode) group run back to back and every ratio compares numbers of the same run. The machine
is shared: read the ratios, not the absolute times, and rerun when the load was high.

Usage:
    python tools/benchmarks/bench_aligners.py            # full table (LR 64x64 and 180x320, C=64 and 120)
    python tools/benchmarks/bench_aligners.py --quick    # 64x64 only, fewer repeats
    python tools/benchmarks/bench_aligners.py --compile  # adds ImplicitWarp(compile=True) rows
    python tools/benchmarks/bench_aligners.py --check-compile   # parity + timing of the compiled core only
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINE = 'release (literal)'
BILINEAR = 'FlowWarp-bilinear'
ALIGNERS = [BASELINE, 'ImplicitWarp', 'NoAlign', 'FlowWarp-nearest', BILINEAR, 'FlowWarp-bicubic', 'PatchAlign',
            'FGDC', 'FGDA']


def build(name, dim):
    """The module for a table row, with the heads IART would use (head width 20 at C=120, 16 at C=64)."""
    import torch  # noqa: F401
    from mmagic.registry import MODELS

    import iart_mm  # noqa: F401
    heads = 6 if dim % 6 == 0 else 4
    if name == BASELINE:
        if str(HERE.parents[1]) not in sys.path:  # the release re-implementation lives in tests/reference
            sys.path.insert(0, str(HERE.parents[1]))
        from tests.reference.release_ia import ReferenceImplicitWarp
        ref = ReferenceImplicitWarp(dim, num_heads=heads, pe_dim=dim, pe_temp=0.01)
        return lambda y, x, flow: ref(y, x, flow.permute(0, 2, 3, 1)), ref
    if name.startswith('ImplicitWarp'):
        module = MODELS.build(dict(type='ImplicitWarp', dim=dim, num_heads=heads, compile='compile' in name))
    elif name.startswith('FlowWarp-'):
        module = MODELS.build(dict(type='FlowWarp', mode=name.split('-')[1]))
    elif name == 'FGDC':
        module = MODELS.build(dict(type='FlowGuidedDeformAlign', dim=dim, deform_groups=6 if dim % 6 == 0 else 8))
    elif name == 'FGDA':
        module = MODELS.build(dict(type='FlowGuidedDeformAttention', dim=dim, num_heads=12 if 2 * dim % 12 == 0
                                   else 8))
    else:
        module = MODELS.build(dict(type=name))
    return module, module


def _status_kb(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def worker(name, h, w, dim, mode, repeats, measure):
    """Run one case in this (fresh) process; print a JSON line with its peak memory or its median time."""
    import torch
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '1')))
    torch.manual_seed(0)
    fn, module = build(name, dim)
    grad = mode == 'fwd+bwd'

    def make(size_h, size_w):
        tensors = [torch.randn(1, dim, size_h, size_w), torch.randn(1, dim, size_h, size_w),
                   torch.randn(1, 2, size_h, size_w) * 3]
        return [t.requires_grad_(grad) for t in tensors]

    def call(inputs):
        for t in inputs:
            t.grad = None
        module.zero_grad(set_to_none=True)
        if grad:
            out = fn(*inputs)
            out.backward(torch.ones_like(out))
        else:
            with torch.no_grad():
                out = fn(*inputs)
        return out

    inputs = make(h, w)
    call(inputs)  # warm-up (one-time initialisation, compilation)
    module.zero_grad(set_to_none=True)
    for t in inputs:
        t.grad = None
    if measure == 'memory':
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # reset the high-water mark to the current resident size
        before = _status_kb('VmRSS')
        out = call(inputs)
        print(json.dumps(dict(peak_mb=(_status_kb('VmHWM') - before) / 1024)))
        return
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call(inputs)
        times.append(time.perf_counter() - start)
    print(json.dumps(dict(time_s=statistics.median(times))))


def run_case(name, h, w, dim, mode, repeats, threads, allocator='default'):
    """Peak memory and median time of one case, each measured in its own fresh process.

    Memory runs with ``MALLOC_MMAP_THRESHOLD_=65536`` (every tensor-sized block mmapped and returned on free, so
    resident memory follows live tensors); time runs with glibc's defaults, as users run it (under that
    threshold every allocation above 64 KB would pay fresh page faults, which penalises block-wise code that
    reuses small temporaries and says nothing about what users see). ``allocator='tuned'`` times under the
    allocator settings that the project's tools apply (``iart_mm.utils.allocator``).
    """
    # one thread by default: on a shared 2-core machine two OpenMP threads per process get descheduled at
    # every barrier and times swing 5-10x; a single thread gives repeatable ratios
    env = dict(os.environ, PYTHONWARNINGS='ignore', OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    env.pop('MALLOC_MMAP_THRESHOLD_', None)
    result = {}
    time_env = {}
    if allocator == 'tuned':
        from iart_mm.utils.allocator import malloc_env
        time_env = malloc_env()
    for measure, extra in (('memory', dict(MALLOC_MMAP_THRESHOLD_='65536')), ('time', time_env)):
        cmd = [sys.executable, __file__, '--worker', name, str(h), str(w), str(dim), mode, str(repeats), measure]
        proc = subprocess.run(cmd, env=dict(env, **extra), capture_output=True, text=True)
        lines = [line for line in proc.stdout.splitlines() if line.startswith('{')]
        if proc.returncode or not lines:
            tail = proc.stderr.strip().splitlines()[-1:] or ['no output']
            return dict(error=tail[0])
        result.update(json.loads(lines[-1]))
    return result


def table(results, names):
    base, bil = results[BASELINE], results[BILINEAR]
    rows = ['| aligner | time (ms) | peak (MB) | time / release | mem / release | time / bilinear | mem / bilinear |',
            '|---|---:|---:|---:|---:|---:|---:|']
    for name in names:
        r = results[name]
        if 'error' in r:
            rows.append(f'| {name} | error: {r["error"]} | | | | | |')
            continue

        def ratio(a, b):
            return f'{a / b:.2f}' if b > 0 else 'n/a'

        rows.append(f'| {name} | {1e3 * r["time_s"]:.1f} | {r["peak_mb"]:.1f} | '
                    f'{ratio(r["time_s"], base["time_s"])} | {ratio(r["peak_mb"], base["peak_mb"])} | '
                    f'{ratio(r["time_s"], bil["time_s"])} | {ratio(r["peak_mb"], bil["peak_mb"])} |')
    return '\n'.join(rows)


def check_compile():
    """Parity and speed of ImplicitWarp(compile=True) against eager at 64x64, C=120."""
    import torch

    import iart_mm  # noqa: F401
    from iart_mm.models.aligners import ImplicitWarp
    torch.manual_seed(0)
    eager = ImplicitWarp(120, 6)
    fused = ImplicitWarp(120, 6, compile=True)
    fused.load_state_dict(eager.state_dict())
    y, x, flow = torch.randn(1, 120, 64, 64), torch.randn(1, 120, 64, 64), torch.randn(1, 2, 64, 64) * 3
    with torch.no_grad():
        start = time.perf_counter()
        out = fused(y, x, flow)
        first = time.perf_counter() - start
        diff = (out - eager(y, x, flow)).abs().max().item()
        timings = {}
        for label, module in (('eager', eager), ('compiled', fused)):
            runs = []
            for _ in range(7):
                start = time.perf_counter()
                module(y, x, flow)
                runs.append(time.perf_counter() - start)
            timings[label] = statistics.median(runs)
    print(f'compile: first call {first:.1f} s, max |compiled - eager| = {diff:.2e}, '
          f'eager {1e3 * timings["eager"]:.1f} ms, compiled {1e3 * timings["compiled"]:.1f} ms')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true', help='LR 64x64 only, 3 repeats')
    parser.add_argument('--repeats', type=int, default=None, help='timed calls per case (default 5, quick 3)')
    parser.add_argument('--sizes', default=None, help="e.g. '64x64,180x320' (default: both; quick: 64x64)")
    parser.add_argument('--dims', default='64,120', help="channel counts, e.g. '120'")
    parser.add_argument('--modes', default='fwd,fwd+bwd', help="'fwd', 'fwd+bwd' or both")
    parser.add_argument('--aligners', default=None, help=f"comma-separated subset of {','.join(ALIGNERS)} "
                        '(the release and bilinear rows are always added: ratios need them)')
    parser.add_argument('--threads', type=int, default=1, help='torch threads per case (default 1, see run_case)')
    parser.add_argument('--allocator', choices=('default', 'tuned'), default='default',
                        help="glibc settings of the timed runs: 'default', or 'tuned' as the tools set them")
    parser.add_argument('--compile', action='store_true', help='add ImplicitWarp(compile=True) rows')
    parser.add_argument('--check-compile', action='store_true', help='only check the compiled core')
    parser.add_argument('--worker', nargs=7, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        name, h, w, dim, mode, repeats, measure = args.worker
        worker(name, int(h), int(w), int(dim), mode, int(repeats), measure)
        return
    if args.check_compile:
        check_compile()
        return
    try:
        sizes = [tuple(int(v) for v in s.split('x')) for s in (args.sizes or ('64x64' if args.quick else
                                                                                '64x64,180x320')).split(',')]
        dims = [int(d) for d in args.dims.split(',')]
    except ValueError:
        print(f'error: bad --sizes/--dims: {args.sizes!r} {args.dims!r}', file=sys.stderr)
        sys.exit(2)
    modes = args.modes.split(',')
    if any(m not in ('fwd', 'fwd+bwd') for m in modes):
        print(f'error: --modes must be fwd and/or fwd+bwd, got {args.modes!r}', file=sys.stderr)
        sys.exit(2)
    repeats = args.repeats or (3 if args.quick else 5)
    names = ALIGNERS + (['ImplicitWarp-compile'] if args.compile else [])
    if args.aligners:
        wanted = set(args.aligners.split(','))
        unknown = wanted - set(names)
        if unknown:
            print(f'error: unknown aligner(s) {sorted(unknown)}; choose from {names}', file=sys.stderr)
            sys.exit(2)
        names = [n for n in names if n in wanted | {BASELINE, BILINEAR}]
    with open('/proc/loadavg') as f:
        print(f'load average at start: {" ".join(f.read().split()[:3])}')
    for (h, w) in sizes:
        for dim in dims:
            for mode in modes:
                results = {name: run_case(name, h, w, dim, mode, repeats, args.threads, args.allocator)
                           for name in names}
                print(f'\n### LR {h}x{w}, C={dim}, {mode} (median of {repeats}, {args.threads} thread(s), '
                      f'{args.allocator} allocator)\n')
                print(table(results, names), flush=True)
    with open('/proc/loadavg') as f:
        print(f'\nload average at end: {" ".join(f.read().split()[:3])}')


if __name__ == '__main__':
    main()

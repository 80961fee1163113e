"""A/B of ``IAPSRTRecurrentNet`` inference between two checkouts of this repository (e.g. two commits), CPU.

Each case is ``bench_models.py --worker --task infer --impl net`` of one checkout, in a fresh process with that
checkout first on ``PYTHONPATH``, on the same weights and input. The cases alternate (A B, B A, A B, ...) so that
a drift in the machine's speed hits both alike; the script prints each pair's time and peak-RSS ratios (B / A)
and their medians, and the max abs difference of the two outputs.

Usage (B is usually this checkout, A another one, e.g. ``git archive <commit> | tar -x -C /tmp/base``; a
compiled op, if any, must be built or copied into each):
    python tools/benchmarks/ab_trees.py /tmp/base . --pairs 3 [--clip 5x64x64] [--repeats 3] [--allocator tuned]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_models import child_env, clip_shape, fail  # noqa: E402


def run(tree, args, weights, lq, out):
    """One worker of ``tree``: its JSON result."""
    cmd = [sys.executable, str(tree / 'tools' / 'benchmarks' / 'bench_models.py'), '--worker', '--task', 'infer',
           '--impl', 'net', '--config', 'released', '--weights', str(weights), '--input', str(lq), '--output',
           str(out), '--repeats', str(args.repeats)]
    env = child_env(args.allocator)
    env['PYTHONPATH'] = str(tree)
    proc = subprocess.run(cmd, env=env, cwd=tree, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f'error: {tree} failed: {proc.stderr.strip().splitlines()[-1:]}')
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('tree_a', type=Path, help='baseline checkout')
    parser.add_argument('tree_b', type=Path, help='checkout compared with it')
    parser.add_argument('--pairs', type=int, default=3)
    parser.add_argument('--clip', default='5x64x64')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--allocator', default='default', choices=('default', 'tuned'))
    args = parser.parse_args()
    trees = [args.tree_a.resolve(), args.tree_b.resolve()]
    for tree in trees:
        if not (tree / 'tools' / 'benchmarks' / 'bench_models.py').is_file():
            fail(f'{tree} is not a checkout of this repository (no tools/benchmarks/bench_models.py)')
    if args.pairs < 1 or args.repeats < 1:
        fail('--pairs and --repeats must be >= 1')
    t, h, w = clip_shape(args.clip)
    import torch
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        weights, lq = tmp / 'weights.pth', tmp / 'lq.pth'
        # the baseline writes the weights (release layout), which both checkouts' workers read
        code = ('import sys; sys.path.insert(0, "tools/benchmarks"); import bench_models; '
                f'bench_models.make_weights("released", {str(weights)!r})')
        env = dict(os.environ, PYTHONPATH=str(trees[0]))
        subprocess.run([sys.executable, '-c', code], env=env, cwd=trees[0], check=True, capture_output=True)
        torch.save(torch.rand(1, t, 3, h, w, generator=torch.Generator().manual_seed(t * h * w)), lq)
        print(f'A = {trees[0]}\nB = {trees[1]}\nclip {args.clip}, {args.repeats} forwards per process, allocator '
              f'{args.allocator}, load avg at start {os.getloadavg()[0]:.1f}', flush=True)
        print(f'{"pair":>4} {"A s":>7} {"B s":>7} {"B/A time":>9} {"A GiB":>7} {"B GiB":>7} {"B/A RSS":>8}')
        results = {0: [], 1: []}
        for pair in range(args.pairs):
            order = (0, 1) if pair % 2 == 0 else (1, 0)
            res = {i: run(trees[i], args, weights, lq, tmp / f'out{i}.pth') for i in order}
            med = {i: statistics.median(res[i]['times']) for i in (0, 1)}
            rss = {i: res[i]['peak_rss_gib'] for i in (0, 1)}
            for i in (0, 1):
                results[i].append((med[i], rss[i]))
            print(f'{pair:>4} {med[0]:7.2f} {med[1]:7.2f} {med[1] / med[0]:9.3f} {rss[0]:7.3f} {rss[1]:7.3f} '
                  f'{rss[1] / rss[0]:8.3f}', flush=True)
        diff = (torch.load(tmp / 'out0.pth') - torch.load(tmp / 'out1.pth')).abs().max().item()
        ta, tb = (statistics.median(m for m, _ in results[i]) for i in (0, 1))
        ra, rb = (statistics.median(r for _, r in results[i]) for i in (0, 1))
        print(f'median {ta:7.2f} {tb:7.2f} {tb / ta:9.3f} {ra:7.3f} {rb:7.3f} {rb / ra:8.3f}')
        print(f'max |B - A| of the outputs: {diff:.2e}; load avg at end {os.getloadavg()[0]:.1f}')


if __name__ == '__main__':
    main()

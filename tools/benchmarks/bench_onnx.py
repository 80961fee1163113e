#!/usr/bin/env python
"""ONNX Runtime (CPU) against the project's PyTorch path: time and peak RSS of one forward, each measurement in
a fresh process, as ratios within one run.

    python tools/benchmarks/bench_onnx.py --model basicvsr --onnx basicvsr.onnx \
        [--config CFG --checkpoint CKPT | (default: the pretrained BasicVSR)] [--cases 5x64x64 calendar10]
    python tools/benchmarks/bench_onnx.py --model iart --onnx iart.onnx --config configs/iart/...py

Cases: ``5x64x64`` (a synthetic moving clip) and ``calendar10`` (the first 10 LR frames of Vid4 calendar,
180x144, from ../shared/data/vid4/BIx4). Each case runs one warm-up forward and ``--repeats`` timed ones in a
child process; the child's peak RSS (ru_maxrss) covers model loading and all forwards.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def _clip(case):
    import numpy as np
    import torch
    if case == 'calendar10':
        import cv2
        folder = REPO.parent / 'shared' / 'data' / 'vid4' / 'BIx4' / 'calendar'
        files = sorted(folder.glob('*.png'))[:10]
        frames = [cv2.imread(str(f))[..., ::-1] for f in files]
        return torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float().div(255).unsqueeze(0).contiguous()
    t, h, w = (int(x) for x in case.split('x'))
    from iart_mm.deploy.export import example_clip
    return example_clip(t, (h, w))


def child(args):
    """One backend on one case: prints a JSON line with seconds per forward and peak RSS."""
    import torch
    torch.set_grad_enabled(False)
    lrs = _clip(args.case)
    if args.backend == 'onnx':
        from iart_mm.deploy.runtime import OnnxGenerator
        gen = OnnxGenerator(args.onnx)
    elif args.config:
        from iart_mm.apis import init_model
        gen = init_model(args.config, args.checkpoint)
    else:
        from iart_mm.apis import init_default_basicvsr
        gen = init_default_basicvsr()
    gen(lrs)  # warm-up
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        gen(lrs)
        times.append(time.perf_counter() - start)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(dict(seconds=min(times), rss_mb=rss_mb, shape=list(lrs.shape))))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--model', default='basicvsr', help='a label for the table')
    p.add_argument('--onnx', required=True, help='the ONNX export of the same model')
    p.add_argument('--config', help='config of the PyTorch model (default: pretrained BasicVSR)')
    p.add_argument('--checkpoint', help='checkpoint for --config (default: its initial weights)')
    p.add_argument('--cases', nargs='+', default=['5x64x64', 'calendar10'])
    p.add_argument('--repeats', type=int, default=2)
    p.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--backend', choices=['torch', 'onnx'], help=argparse.SUPPRESS)
    p.add_argument('--case', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return child(args)
    print(f'| model | case | PyTorch s | ORT s | ORT/PyTorch time | PyTorch RSS MB | ORT RSS MB | ORT/PyTorch RSS |')
    print('| --- | --- | --- | --- | --- | --- | --- | --- |')
    for case in args.cases:
        res = {}
        for backend in ('torch', 'onnx'):
            cmd = [sys.executable, __file__, '--child', '--backend', backend, '--case', case, '--onnx', args.onnx,
                   '--repeats', str(args.repeats)]
            if args.config:
                cmd += ['--config', args.config] + (['--checkpoint', args.checkpoint] if args.checkpoint else [])
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=dict(os.environ),
                                 cwd=str(REPO)).stdout
            res[backend] = json.loads(out.strip().splitlines()[-1])
        t, o = res['torch'], res['onnx']
        print(f'| {args.model} | {case} {"x".join(map(str, t["shape"][1:]))} | {t["seconds"]:.2f} | {o["seconds"]:.2f} '
              f'| {o["seconds"] / t["seconds"]:.2f} | {t["rss_mb"]:.0f} | {o["rss_mb"]:.0f} '
              f'| {o["rss_mb"] / t["rss_mb"]:.2f} |', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())

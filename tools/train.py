"""Train a model (MMEngine Runner), as MMagic's tools/train.py.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--cfg-options k=v ...]
Distributed: tools/dist_train.sh CONFIG GPUS [args]; on a Slurm cluster: tools/slurm_train.sh (docs/training.md).
The same config trains on a GPU (with the AMP the config names) and on a CPU-only machine (fp32).
"""
import argparse
import os
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))


def parse_args(argv=None):
    from iart_mm.apis.runner import add_runner_args, parse_runner_args
    p = argparse.ArgumentParser(description='Train an iart_mm / MMagic model')
    p.add_argument('config', help='train config file path')
    p.add_argument('--resume', nargs='?', const=True, default=False,
                   help='resume from the latest checkpoint in the work dir (start afresh if it has none), '
                        'or from the given checkpoint')
    p.add_argument('--amp', action='store_true',
                   help='mixed precision (AmpOptimWrapper) on a GPU; without one, a warning and fp32 training. '
                        'Configs that name AutoAmpOptimWrapper (the IART ones) use AMP on a GPU without --amp')
    p.add_argument('--amp-dtype', choices=['float16', 'bfloat16'],
                   help='autocast dtype of AMP on a GPU (default: float16); implies --amp')
    return parse_runner_args(add_runner_args(p), argv)


def main(argv=None):
    from iart_mm.utils.allocator import tune_malloc_for_training
    tune_malloc_for_training()  # one malloc arena: lower peak memory on CPU (docs/performance.md)
    warnings.filterwarnings('ignore', category=FutureWarning)
    import iart_mm  # noqa: F401
    from iart_mm.apis import train
    from iart_mm.apis.runner import LaunchError
    from iart_mm.checkpoint import CheckpointMismatchError
    args = parse_args(argv)
    try:
        train(args.config, work_dir=args.work_dir, resume=args.resume, amp=args.amp, amp_dtype=args.amp_dtype,
              cfg_options=args.cfg_options, launcher=args.launcher)
    except (FileNotFoundError, CheckpointMismatchError, LaunchError) as e:  # a resume that does not fit, too
        print(f'error: {e}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    from tool_entry import run_tool  # this folder is sys.path[0] when a tool runs as a script
    run_tool(main)

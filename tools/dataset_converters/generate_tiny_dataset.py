"""Write the tiny generated VSR dataset used by configs/_base_/tiny_generated_vsr.py.

    python tools/dataset_converters/generate_tiny_dataset.py data/tiny_generated [--clips 2 --frames 6]
"""
import argparse
import sys
from pathlib import Path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('root')
    p.add_argument('--clips', type=int, default=2)
    p.add_argument('--frames', type=int, default=6)
    p.add_argument('--hr-size', type=int, default=256)
    p.add_argument('--overwrite', action='store_true')
    args = p.parse_args(argv)
    root = Path(args.root)
    if root.exists() and any(root.iterdir()) and not args.overwrite:
        print(f'error: {root} exists and is not empty (pass --overwrite)', file=sys.stderr)
        return 2
    from iart_mm.datasets.synthetic_clip import write_generated_dataset
    write_generated_dataset(root, num_clips=args.clips, num_frames=args.frames, hr_size=args.hr_size)
    print(f'wrote {args.clips} clips of {args.frames} frames to {root}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Make the LR frames of a VSR set from its GT frames: BI (MATLAB bicubic x1/4) or BD (Gaussian 1.6 + 2:4:end-2).

    python tools/dataset_converters/make_lr_frames.py GT_DIR OUT_DIR --degradation BI|BD [--scale 4]

GT_DIR holds clips as folders of frames (any depth, e.g. Vid4 ``<clip>/%08d.png`` or Vimeo-90K
``<seq>/<clip>/im1.png``); every .png / .jpg / .bmp below it is degraded and written as PNG to the same relative
path under OUT_DIR. BI uses :func:`iart_mm.datasets.matlab_resize.bi_downsample` (bit-exact with the standard
Vid4 BIx4), BD :func:`iart_mm.datasets.bd_degradation.bd_downsample`. Existing files are never overwritten.
"""
import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp')


def list_frames(gt_dir):
    """Sorted relative paths of every image below ``gt_dir``."""
    return sorted(p.relative_to(gt_dir) for p in Path(gt_dir).rglob('*') if p.suffix.lower() in IMAGE_SUFFIXES)


def degrade_frame(img_bgr, degradation, scale):
    """One uint8 BGR frame (as cv2 reads it) -> its LR uint8 BGR frame."""
    from iart_mm.datasets.bd_degradation import bd_downsample
    from iart_mm.datasets.matlab_resize import bi_downsample
    rgb = img_bgr[..., ::-1] if img_bgr.ndim == 3 else img_bgr
    lr = bi_downsample(rgb, scale) if degradation == 'BI' else bd_downsample(rgb, scale)
    return lr[..., ::-1] if lr.ndim == 3 else lr


def make_lr_frames(gt_dir, out_dir, degradation='BI', scale=4):
    """Degrade every frame of ``gt_dir`` into ``out_dir`` (same relative paths, PNG). Returns the number written."""
    import cv2
    gt_dir, out_dir = Path(gt_dir), Path(out_dir)
    if degradation not in ('BI', 'BD'):
        raise ValueError(f"degradation must be 'BI' or 'BD', got {degradation!r}")
    if not gt_dir.is_dir():
        raise FileNotFoundError(f'GT folder not found: {gt_dir}')
    frames = list_frames(gt_dir)
    if not frames:
        raise FileNotFoundError(f'no frames (.png/.jpg/.bmp) below {gt_dir}')
    targets = [(out_dir / rel).with_suffix('.png') for rel in frames]
    clash = [t for t in targets if t.exists()]
    if clash:
        raise FileExistsError(f'{len(clash)} output file(s) already exist, e.g. {clash[0]}; not overwriting')
    for rel, target in zip(frames, targets):
        img = cv2.imread(str(gt_dir / rel), cv2.IMREAD_UNCHANGED)
        if img is None:
            raise ValueError(f'cannot read image {gt_dir / rel}')
        if img.ndim == 3 and img.shape[2] == 4:
            img = img[..., :3]
        target.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(target), degrade_frame(img, degradation, scale))
    return len(frames)


def main(argv=None):
    p = argparse.ArgumentParser(description='Make BI or BD LR frames from GT frames (MATLAB-exact)')
    p.add_argument('gt_dir', help='folder of GT clips (folders of frames)')
    p.add_argument('out_dir', help='output folder (mirrors gt_dir)')
    p.add_argument('--degradation', choices=['BI', 'BD'], default='BI')
    p.add_argument('--scale', type=int, default=4)
    args = p.parse_args(argv)
    try:
        n = make_lr_frames(args.gt_dir, args.out_dir, args.degradation, args.scale)
    except (FileNotFoundError, FileExistsError, ValueError, TypeError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    print(f'wrote {n} {args.degradation}x{args.scale} frames to {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Clips with exactly known sub-pixel motion, made from a real photograph that ships with matplotlib.

The HR frames are integer-pixel crops of one photograph that slide by ``step`` HR pixels per frame, so
after BI x4 downsampling the LR camera motion is ``step / 4`` LR pixels per frame (sub-pixel for
steps that are not multiples of 4) and the ground truth is exact: no interpolation touches the GT.
Used by the demo (``tools/demo.py``) and to write tiny generated datasets for tests and configs.
"""
import os
from pathlib import Path

import cv2
import numpy as np

from .matlab_resize import bi_downsample

#: Default photograph: Grace Hopper's portrait, in matplotlib's sample data (600 x 512 RGB JPEG).
DEFAULT_PHOTO = 'grace_hopper.jpg'


def sample_photo(name=DEFAULT_PHOTO):
    """The matplotlib sample image ``name`` as an RGB uint8 (h, w, 3) array."""
    import matplotlib
    path = Path(matplotlib.get_data_path()) / 'sample_data' / name
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f'matplotlib sample image not found or unreadable: {path}')
    return np.ascontiguousarray(img[:, :, ::-1])


def sliding_crops(photo, num_frames, size, start=(0, 0), step=(2, 3)):
    """HR frames cropped from ``photo`` at ``start + t * step`` (integer HR pixels, (dy, dx)).

    Returns:
        np.ndarray: (num_frames, size[0], size[1], 3) uint8.
    """
    ch, cw = (size, size) if np.isscalar(size) else size
    y0, x0 = start
    dy, dx = step
    need_h = y0 + ch + abs(dy) * (num_frames - 1)
    need_w = x0 + cw + abs(dx) * (num_frames - 1)
    if need_h > photo.shape[0] or need_w > photo.shape[1]:
        raise ValueError(f'the photo ({photo.shape[1]}x{photo.shape[0]}) is too small for {num_frames} '
                         f'frames of {cw}x{ch} moving {step} px per frame from {start}')
    frames = []
    for t in range(num_frames):
        y = y0 + (dy * t if dy >= 0 else abs(dy) * (num_frames - 1 - t))
        x = x0 + (dx * t if dx >= 0 else abs(dx) * (num_frames - 1 - t))
        frames.append(photo[y:y + ch, x:x + cw])
    return np.stack(frames)


def make_demo_clip(num_frames=12, hr_size=(320, 288), step=(2, 3), scale=4):
    """The default demo clip: a sliding crop of Grace Hopper's portrait and its BI x{scale} LR frames.

    The camera moves (dy, dx) = ``step`` HR pixels per frame, i.e. (0.5, 0.75) LR pixels at x4.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``lq`` (t, h, w, 3) uint8 and ``gt`` (t, scale*h, scale*w, 3) uint8.
    """
    gt = sliding_crops(sample_photo(), num_frames, hr_size, start=(150, 60), step=step)
    lq = np.stack([bi_downsample(f, scale) for f in gt])
    return lq, gt


def write_generated_dataset(root, num_clips=2, num_frames=6, hr_size=256, scale=4):
    """Write a tiny REDS-layout VSR dataset of sliding crops to ``root``.

    Layout: ``root/GT/clipNNN/%08d.png``, ``root/BIx{scale}/clipNNN/%08d.png`` and ``root/meta_info.txt``
    with lines ``clipNNN <num_frames> (h,w,3)`` (MMagic's ``BasicFramesDataset`` ann_file format).
    Each clip starts elsewhere in the photo and moves in another direction.
    """
    root = Path(root)
    photo = sample_photo()
    steps = [(2, 3), (-3, 1), (1, -2), (-1, -3)]
    lines = []
    for c in range(num_clips):
        name = f'clip{c:03d}'
        step = steps[c % len(steps)]
        start = (20 + 37 * c % 200, 10 + 53 * c % 150)
        gt = sliding_crops(photo, num_frames, hr_size, start=start, step=step)
        for sub, frames in (('GT', gt), (f'BIx{scale}', [bi_downsample(f, scale) for f in gt])):
            os.makedirs(root / sub / name, exist_ok=True)
            for t, f in enumerate(frames):
                cv2.imwrite(str(root / sub / name / f'{t:08d}.png'), f[:, :, ::-1])
        lines.append(f'{name} {num_frames} ({gt.shape[1]},{gt.shape[2]},3)')
    (root / 'meta_info.txt').write_text('\n'.join(lines) + '\n')
    return root

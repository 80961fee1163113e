"""Data for the alignment study: Sintel pairs with ground-truth flow, and synthetic pairs with exact motion.

Conventions: images are float32 tensors (n, 3, h, w) RGB in [0, 1]; flow is (n, 2, h, w) in pixels,
channel 0 = dx, channel 1 = dy, mapping a *current*-frame pixel to its position in the *neighbour*
(so ``neighbour(x + flow(x)) == current(x)`` on non-occluded pixels).

Synthetic pairs are exact: both frames are antialiased bicubic downsamplings (by ``r``) of the same real image,
the neighbour taken from a crop shifted by an integer ``k`` source pixels. Downsampling maps the shift to
exactly ``k / r`` pixels, a sub-pixel translation on a 1/r grid, with no interpolation anywhere.
"""
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from iart_mm.datasets.flow_io import flow_to_tensor, read_flo
from iart_mm.datasets.matlab_resize import bi_downsample, round_to_uint8

SINTEL_SEQS = ('alley_1', 'cave_2', 'market_5')
VID4_CLIPS = ('calendar', 'city', 'foliage', 'walk')
_MARGIN = 3  # frame px dropped around each synthetic frame (bicubic support is 2 px)


def read_rgb(path):
    """(h, w, 3) uint8 RGB from an image file; a clear error if it cannot be read."""
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f'cannot read image: {path}')
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def to_tensor(img_uint8):
    """(h, w, 3) uint8 -> (1, 3, h, w) float32 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(img_uint8.transpose(2, 0, 1)))[None].float() / 255.


@dataclass
class Pair:
    """One alignment problem: warp ``neighbour`` with ``flow`` onto ``current``; score where ``valid``."""
    name: str
    current: torch.Tensor   # (1, 3, h, w)
    neighbour: torch.Tensor  # (1, 3, h, w)
    flow: torch.Tensor      # (1, 2, h, w), current -> neighbour
    valid: torch.Tensor     # (1, 1, h, w) bool: non-occluded, valid flow, sample point inside the frame


def inside_mask(flow, margin=0.0):
    """(n, 1, h, w) bool: the sample point x + flow(x) lies inside the frame shrunk by ``margin`` px."""
    n, _, h, w = flow.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=flow.dtype), torch.arange(w, dtype=flow.dtype), indexing='ij')
    px, py = xs + flow[:, 0], ys + flow[:, 1]
    ok = (px >= margin) & (px <= w - 1 - margin) & (py >= margin) & (py <= h - 1 - margin)
    return ok[:, None]


def load_sintel_pair(data_dir, seq):
    """Sintel frame 2 (current), frame 3 (neighbour) and the GT flow 2 -> 3 with its masks.

    ``valid`` = not occluded, flow not invalid, and the sample point inside the frame (1 px margin, so the
    4x4 bicubic support stays mostly inside).
    """
    root = Path(data_dir) / 'sintel_gtflow'
    cur = to_tensor(read_rgb(root / seq / 'frame_0002.png'))
    nb = to_tensor(read_rgb(root / seq / 'frame_0003.png'))
    flow = flow_to_tensor(read_flo(root / 'flow' / seq / 'frame_0002.flo'))
    occ = cv2.imread(str(root / 'occlusions' / seq / 'frame_0002.png'), cv2.IMREAD_GRAYSCALE)
    inv = cv2.imread(str(root / 'invalid' / seq / 'frame_0002.png'), cv2.IMREAD_GRAYSCALE)
    if occ is None or inv is None:
        raise FileNotFoundError(f'missing Sintel occlusion/invalid mask for {seq} under {root}')
    if flow.shape[-2:] != cur.shape[-2:]:
        raise ValueError(f'{seq}: flow {tuple(flow.shape[-2:])} does not match frame {tuple(cur.shape[-2:])}')
    ok = torch.from_numpy((occ < 128) & (inv < 128))[None, None]
    valid = ok & inside_mask(flow, margin=1.0)
    return Pair(f'sintel/{seq}', cur, nb, flow, valid)


def source_images(data_dir, which):
    """Real images to make synthetic motion from, as (h, w, 3) uint8 arrays.

    Args:
        which (str): 'train' = Vid4 calendar, city, foliage GT frames 0-7 (24 images);
            'test' = held out from training: Vid4 walk GT frames 0-7 and Sintel frames 1 and 4 of the
            three sequences (14 images).
    """
    data_dir = Path(data_dir)
    clips = {'train': VID4_CLIPS[:3], 'test': VID4_CLIPS[3:]}[which]
    root = data_dir / 'vid4' / 'GT'
    paths = sorted(p for c in clips for p in (root / c).glob('*.png'))
    if which == 'test':
        paths += [data_dir / 'sintel_gtflow' / s / f'frame_000{i}.png' for s in SINTEL_SEQS for i in (1, 4)]
    if not paths:
        raise FileNotFoundError(f'no Vid4 GT frames under {root} for {clips}')
    return [read_rgb(p) for p in paths]


def translated_frames(src, top, left, size, shifts, r):
    """Frames of one real image under exact integer source-pixel translations.

    Args:
        src (np.ndarray): (H, W, 3) uint8 source image.
        top, left (int): crop corner (source pixels) of the unshifted frame.
        size (tuple[int, int]): (h, w) of the output frames; a crop covers (h*r, w*r) source pixels.
        shifts (list[tuple[int, int]]): per frame (ky, kx), integer source-pixel offset of its crop.
        r (int): downsampling factor source -> frame.

    Returns:
        list[np.ndarray]: (h, w, 3) float64 frames in [0, 255]. A crop starting k source px further shows
        its content k/r frame px earlier, so with ``flow = -(k_b - k_a) / r`` (dx from kx, dy from ky)
        ``frame_b(x + flow) == frame_a(x)`` exactly (flow from frame a to frame b).
    """
    h, w = size
    m = _MARGIN
    kys = [k[0] for k in shifts]
    kxs = [k[1] for k in shifts]
    if top + min(kys) < m * r or left + min(kxs) < m * r or \
            top + max(kys) + (h + m) * r > src.shape[0] or left + max(kxs) + (w + m) * r > src.shape[1]:
        raise ValueError(f'crop {top},{left} size {size} shifts {shifts} x{r} (+{m} px margin) leaves '
                         f'the {src.shape[:2]} source')

    def frame(y0, x0):
        # Downsample with a margin, then drop it: the resize's borders must not reach the frame. Any
        # antialiased resize with an integer factor applies the same weights at every output pixel, which is
        # all exactness needs; torch's bicubic (a = -0.5, antialiased) is much faster than the MATLAB port.
        big = torch.from_numpy(src[y0 - m * r:y0 + (h + m) * r, x0 - m * r:x0 + (w + m) * r])
        big = big.permute(2, 0, 1)[None].double()
        small = F.interpolate(big, scale_factor=1.0 / r, mode='bicubic', antialias=True, align_corners=False)
        return small[0, :, m:m + h, m:m + w].permute(1, 2, 0).numpy()

    return [frame(top + ky, left + kx) for ky, kx in shifts]


def random_crop_corner(src, size, r, shifts, rng):
    """A random (top, left) such that every shifted crop of ``translated_frames`` fits in ``src``."""
    h, w = size
    mr = _MARGIN * r
    kys = [k[0] for k in shifts]
    kxs = [k[1] for k in shifts]
    top = int(rng.integers(mr - min(kys), src.shape[0] - (h * r + mr) - max(kys) + 1))
    left = int(rng.integers(mr - min(kxs), src.shape[1] - (w * r + mr) - max(kxs) + 1))
    return top, left


def random_translation_pairs(images, n, size, r, max_shift_px, rng):
    """``n`` random exact translation pairs (frames of ``size``), shifts up to ``max_shift_px`` frame px.

    Returns:
        tuple[Tensor, Tensor, Tensor]: current (n, 3, h, w), neighbour (n, 3, h, w) in [0, 1],
        flow (n, 2, h, w) constant per sample.
    """
    h, w = size
    kmax = int(round(max_shift_px * r))
    curs, nbs, flows = [], [], []
    for _ in range(n):
        src = images[rng.integers(len(images))]
        ky, kx = (int(v) for v in rng.integers(-kmax, kmax + 1, size=2))
        shifts = [(0, 0), (ky, kx)]
        cur, nb = translated_frames(src, *random_crop_corner(src, size, r, shifts, rng), size, shifts, r)
        curs.append(round_to_uint8(cur))
        nbs.append(round_to_uint8(nb))
        flows.append((-kx / r, -ky / r))
    cur_t = torch.cat([to_tensor(c) for c in curs])
    nb_t = torch.cat([to_tensor(c) for c in nbs])
    flow_t = torch.tensor(flows, dtype=torch.float32)[:, :, None, None].expand(n, 2, h, w).contiguous()
    return cur_t, nb_t, flow_t


def synthetic_test_pairs(data_dir, n, size, r, max_shift_px, seed):
    """Held-out exact-translation pairs (Vid4 walk) as a list of :class:`Pair`."""
    rng = np.random.default_rng(seed)
    cur, nb, flow = random_translation_pairs(source_images(data_dir, 'test'), n, size, r, max_shift_px, rng)
    valid = inside_mask(flow, margin=1.0)
    return [Pair(f'synthetic/walk{i}', cur[i:i + 1], nb[i:i + 1], flow[i:i + 1], valid[i:i + 1]) for i in range(n)]


def random_sequences(images, n, t, lr_size, max_step_lr, rng):
    """``n`` exact-translation clips for VSR: HR GT (source / 2), BI x4 LR, and LR flows both ways.

    Each of the ``t`` frames is shifted by a random step of up to ``max_step_lr`` LR px (in 1/8 LR px
    steps) from the previous one.

    Returns:
        tuple[Tensor, Tensor, Tensor, Tensor]: gt (n, t, 3, 4h, 4w), lr (n, t, 3, h, w) in [0, 1],
        flows_backward (n, t-1, 2, h, w) with [:, i] mapping frame i -> i+1, flows_forward (n, t-1, 2, h, w)
        with [:, i] mapping frame i+1 -> i (IABasicVSRNet's convention).
    """
    h, w = lr_size
    r_gt, r_lr = 2, 8  # source -> GT and source -> LR factors
    kmax = int(round(max_step_lr * r_lr))
    gts, lrs, fb = [], [], []
    for _ in range(n):
        src = images[rng.integers(len(images))]
        steps = rng.integers(-kmax, kmax + 1, size=(t - 1, 2))
        shifts = [(0, 0)] + [tuple(int(v) for v in c) for c in np.cumsum(steps, axis=0)]
        corner = random_crop_corner(src, (4 * h, 4 * w), r_gt, shifts, rng)
        frames = [round_to_uint8(f) for f in translated_frames(src, *corner, (4 * h, 4 * w), shifts, r_gt)]
        gts.append(torch.cat([to_tensor(f) for f in frames]))
        lrs.append(torch.cat([to_tensor(bi_downsample(f, 4)) for f in frames]))
        # frame i -> i+1: dx = -(kx_{i+1} - kx_i) / r_lr, channel order (dx, dy)
        fb.append(torch.tensor(-steps[:, ::-1] / r_lr, dtype=torch.float32))
    flows_backward = torch.stack(fb)[..., None, None].expand(n, t - 1, 2, h, w).contiguous()
    return torch.stack(gts), torch.stack(lrs), flows_backward, -flows_backward

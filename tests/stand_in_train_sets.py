"""Stand-in training sets in the official folder layouts, a few tiny frames per clip, for ``tools/train.py``.

``write_stand_in_train_sets(root)`` writes ``root/data/...`` exactly where the shipped training configs look by
default (``data/REDS``, ``data/vimeo90k``, ``data/Vid4``, ``data/UDM10``, relative to the working directory),
so ``tools/train.py`` run from ``root`` needs no data path options:

- REDS (BIx4): ``REDS/train_sharp/<clip>/%08d.png`` and ``REDS/train_sharp_bicubic/X4/<clip>/%08d.png`` for the
  four REDS4 clips (validation) plus training clips, ``meta_info_reds4_{train,val}.txt`` written by
  ``tools/dataset_converters/make_annotations.py reds4``; ``REDS/train_sharp_sub/<clip>/%08d.png`` (GT only,
  what RealBasicVSR degrades on the fly).
- Vimeo-90K (septuplets): ``vimeo90k/{GT,BIx4,BDx4}/<a>/<b>/im1..im7.png`` and
  ``meta_info_Vimeo90K_train_GT.txt`` (``make_annotations.py vimeo90k`` from a ``sep_trainlist.txt``).
- Vid4 (validation of the Vimeo-90K configs): ``Vid4/{GT,BIx4,BDx4}/<clip>/%08d.png`` + ``meta_info_Vid4_GT.txt``.
- UDM10 (validation of RealBasicVSR): ``UDM10/{GT,BIx4}/<clip>/%04d.png``.

Frames are sliding crops of a photograph (:mod:`iart_mm.datasets.synthetic_clip`), HR 256x256 and LR 64x64
(the configs' training patch, and SPyNet's minimum), BI by MATLAB bicubic and BD by Gaussian blur +
subsampling. Nothing here is committed data: the tests write it to a temporary folder.
"""
import importlib.util
from pathlib import Path

import cv2
import numpy as np

from iart_mm.datasets.bd_degradation import bd_downsample
from iart_mm.datasets.matlab_resize import bi_downsample
from iart_mm.datasets.synthetic_clip import sample_photo, sliding_crops

REPO_DIR = Path(__file__).resolve().parents[1]
HR = 256
REDS4_CLIPS = ('000', '011', '015', '020')
REDS_TRAIN_CLIPS = ('001', '002')
REDS_SUB_CLIPS = ('000_s001', '001_s001')
VIMEO_SEQUENCES = ('00001/0001', '00002/0002')
VID4_CLIPS = ('calendar', 'city')
UDM10_CLIPS = ('archpeople', )
#: frames per REDS clip: IconVSR's EDVR refill reads frames t-2 .. t+2 of a 5-frame window
REDS_FRAMES = 5
#: frames per Vid4 / UDM10 validation clip
VAL_FRAMES = 2


def _make_annotations(*argv):
    """Run ``make_annotations.py`` as its CLI does (``main(argv)``), in this process."""
    spec = importlib.util.spec_from_file_location(
        'make_annotations', REPO_DIR / 'tools' / 'dataset_converters' / 'make_annotations.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main([str(a) for a in argv]) == 0, argv


def _write(folder, frames, tmpl='{:08d}.png', first=0):
    """RGB frames -> ``folder/tmpl.format(first + t)`` PNGs."""
    folder.mkdir(parents=True, exist_ok=True)
    for t, frame in enumerate(frames):
        cv2.imwrite(str(folder / tmpl.format(first + t)), np.ascontiguousarray(frame[:, :, ::-1]))


class _Clips:
    """HR clips (t, 256, 256, 3) cut from one photograph, each starting elsewhere and moving another way."""

    steps = [(2, 3), (-3, 1), (1, -2), (-1, -3)]

    def __init__(self):
        self.photo = sample_photo()
        self.count = 0

    def next(self, num_frames):
        c = self.count
        self.count += 1
        start = (20 + 37 * c % 200, 10 + 53 * c % 150)
        return sliding_crops(self.photo, num_frames, HR, start=start, step=self.steps[c % len(self.steps)])


def _bi(gt):
    return [bi_downsample(f, 4) for f in gt]


def _bd(gt):
    return [bd_downsample(f, 4) for f in gt]


def write_stand_in_train_sets(root):
    """Write the stand-in REDS, Vimeo-90K, Vid4 and UDM10 sets under ``root/data``; returns ``root/data``."""
    data = Path(root) / 'data'
    clips = _Clips()

    reds = data / 'REDS'
    for clip in REDS4_CLIPS + REDS_TRAIN_CLIPS:
        gt = clips.next(REDS_FRAMES)
        _write(reds / 'train_sharp' / clip, gt)
        _write(reds / 'train_sharp_bicubic' / 'X4' / clip, _bi(gt))
    _make_annotations('reds4', reds / 'train_sharp', reds)
    for clip in REDS_SUB_CLIPS:
        _write(reds / 'train_sharp_sub' / clip, clips.next(REDS_FRAMES))

    vimeo = data / 'vimeo90k'
    for seq in VIMEO_SEQUENCES:
        gt = clips.next(7)
        for sub, frames in (('GT', gt), ('BIx4', _bi(gt)), ('BDx4', _bd(gt))):
            _write(vimeo / sub / seq, frames, 'im{}.png', first=1)  # official names: im1 .. im7
    (vimeo / 'sep_trainlist.txt').write_text('\n'.join(VIMEO_SEQUENCES) + '\n')
    _make_annotations('vimeo90k', vimeo / 'sep_trainlist.txt', vimeo / 'GT', vimeo / 'meta_info_Vimeo90K_train_GT.txt')

    for clip in VID4_CLIPS:
        gt = clips.next(VAL_FRAMES)
        for sub, frames in (('GT', gt), ('BIx4', _bi(gt)), ('BDx4', _bd(gt))):
            _write(data / 'Vid4' / sub / clip, frames)
    _make_annotations('folder', data / 'Vid4' / 'GT', data / 'Vid4' / 'meta_info_Vid4_GT.txt')

    for clip in UDM10_CLIPS:
        gt = clips.next(VAL_FRAMES)
        _write(data / 'UDM10' / 'GT' / clip, gt, '{:04d}.png')
        _write(data / 'UDM10' / 'BIx4' / clip, _bi(gt), '{:04d}.png')
    return data

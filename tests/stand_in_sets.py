"""Stand-in test sets in the official folder layouts, a few tiny frames per clip, for the tools' user paths.

``write_stand_in_sets(root)`` writes ``root/data/{REDS,Vid4,UDM10,vimeo90k,VideoLQ}`` exactly where the shipped
test configs look by default (``data/REDS`` ... relative to the working directory), so ``tools/test.py``
run from ``root`` needs no path options. The frames are sliding crops of a photograph (real texture and motion,
see :mod:`iart_mm.datasets.synthetic_clip`), LR 64x64 (SPyNet's minimum) from HR 256x256 by the project's BI
(MATLAB bicubic) and BD (Gaussian blur + subsampling) degradations. Annotation files come from
``tools/dataset_converters/make_annotations.py`` as a user makes them. Nothing here is committed data: the
tests write it to a temporary folder.

Sizes: REDS4 4 clips x 5 frames (IconVSR's refill needs 5), Vid4 4 clips x 3, UDM10 3 clips x 3 (an odd count,
so 2 ranks get unequal shares), Vimeo-90K-T 3 sequences x 7, VideoLQ 2 clips x 3 (LR only).
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
VID4_CLIPS = ('calendar', 'city', 'foliage', 'walk')
UDM10_CLIPS = ('archpeople', 'archwall', 'auditorium')
VIMEO_SEQUENCES = ('00001/0266', '00001/0268', '00002/0010')
VIDEOLQ_CLIPS = ('000', '001')
#: the set each test dataloader reads, by its metainfo's dataset_type
SET_OF_DATASET_TYPE = {'reds_reds4': 'REDS', 'vid4': 'Vid4', 'udm10': 'UDM10', 'vimeo90k_seq': 'vimeo90k',
                       'videolq': 'VideoLQ'}


def make_annotations(*argv):
    spec = importlib.util.spec_from_file_location(
        'make_annotations', REPO_DIR / 'tools' / 'dataset_converters' / 'make_annotations.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main([str(a) for a in argv]) == 0, argv


def write_frames(folder, frames, tmpl='{:08d}.png', first=0):
    """RGB frames -> ``folder/tmpl.format(first + t)`` PNGs."""
    folder.mkdir(parents=True, exist_ok=True)
    for t, frame in enumerate(frames):
        cv2.imwrite(str(folder / tmpl.format(first + t)), np.ascontiguousarray(frame[:, :, ::-1]))


class ClipSource:
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


def write_stand_in_sets(root, reds_frames=5):
    """Write all five stand-in sets under ``root/data``; returns ``root/data``."""
    data = Path(root) / 'data'
    clips = ClipSource()
    bi = lambda gt: [bi_downsample(f, 4) for f in gt]  # noqa: E731
    bd = lambda gt: [bd_downsample(f, 4) for f in gt]  # noqa: E731

    for clip in REDS4_CLIPS:
        gt = clips.next(reds_frames)
        write_frames(data / 'REDS' / 'train_sharp' / clip, gt)
        write_frames(data / 'REDS' / 'train_sharp_bicubic' / 'X4' / clip, bi(gt))
    make_annotations('reds4', data / 'REDS' / 'train_sharp', data / 'REDS')

    for clip in VID4_CLIPS:
        gt = clips.next(3)
        write_frames(data / 'Vid4' / 'GT' / clip, gt)
        write_frames(data / 'Vid4' / 'BIx4' / clip, bi(gt))
        write_frames(data / 'Vid4' / 'BDx4' / clip, bd(gt))
    make_annotations('folder', data / 'Vid4' / 'GT', data / 'Vid4' / 'meta_info_Vid4_GT.txt')

    for clip in UDM10_CLIPS:
        gt = clips.next(3)
        write_frames(data / 'UDM10' / 'GT' / clip, gt, '{:04d}.png')
        write_frames(data / 'UDM10' / 'BDx4' / clip, bd(gt), '{:04d}.png')

    for seq in VIMEO_SEQUENCES:
        gt = clips.next(7)
        for sub, frames in (('GT', gt), ('BIx4', bi(gt)), ('BDx4', bd(gt))):
            write_frames(data / 'vimeo90k' / sub / seq, frames, 'im{}.png', first=1)  # official names: im1 .. im7
    (data / 'vimeo90k' / 'sep_testlist.txt').write_text('\n'.join(VIMEO_SEQUENCES) + '\n')
    make_annotations('vimeo90k', data / 'vimeo90k' / 'sep_testlist.txt', data / 'vimeo90k' / 'GT',
                      data / 'vimeo90k' / 'meta_info_Vimeo90K_test_GT.txt')

    for clip in VIDEOLQ_CLIPS:
        write_frames(data / 'VideoLQ' / clip, bi(clips.next(3)))
    return data

"""Regression of the whole metric pipeline against the published Vid4 bicubic figures (shared data README).

MATLAB bicubic x4 upsampling of the shared BIx4 frames 0-7, scored against the 8 shared GT frames per clip
through ``ClipPSNRSSIM`` exactly as MMagic feeds it (BGR, [0, 255] float, clip = sample): the README gives
23.79 / 0.6323 (mean of clips) and per-frame values in ``per_frame_metrics.csv`` (4 decimals).
"""
import csv

import cv2
import numpy as np
import pytest
import torch

from iart_mm.datasets.matlab_resize import imresize
from iart_mm.evaluation import ClipPSNRSSIM, psnr, ssim
from tests.paths import DATA_DIR, require_shared

pytestmark = pytest.mark.slow  # 32 MATLAB-bicubic upsamplings of 720x576 frames and their SSIM

CLIPS = ('calendar', 'city', 'foliage', 'walk')


def _bicubic_clip(clip):
    """(gt, upsampled) lists of 8 BGR uint8 frames."""
    gts, ups = [], []
    for i in range(8):
        gts.append(cv2.imread(str(DATA_DIR / 'vid4' / 'GT' / clip / f'{i:08d}.png')))
        lr = cv2.imread(str(DATA_DIR / 'vid4' / 'BIx4' / clip / f'{i:08d}.png'))
        ups.append(np.round(np.clip(imresize(lr.astype(np.float64), 4), 0, 255)).astype(np.uint8))
    return gts, ups


@pytest.fixture(scope='module')
def bicubic_vid4():
    require_shared(DATA_DIR / 'vid4' / 'GT')
    return {clip: _bicubic_clip(clip) for clip in CLIPS}


def test_per_frame_values_match_reference_csv(bicubic_vid4):
    with open(DATA_DIR / 'vid4' / 'per_frame_metrics.csv') as f:
        rows = {(r['clip'], r['frame']): r for r in csv.DictReader(f)}
    for clip, (gts, ups) in bicubic_vid4.items():
        for i, (gt, up) in enumerate(zip(gts, ups)):
            row = rows[(clip, f'{i:08d}.png')]
            kw = dict(test_y_channel=True, channel_order='BGR')
            assert psnr(gt, up, **kw) == pytest.approx(float(row['bicubic_x4_psnr_y']), abs=6e-5)
            assert ssim(gt, up, **kw) == pytest.approx(float(row['bicubic_x4_ssim_y']), abs=6e-5)


def test_metric_pipeline_gives_published_bicubic_row(bicubic_vid4):
    metric = ClipPSNRSSIM(convert_to='Y', prefix='Vid4-BIx4-Y')
    to_tensor = lambda frames: torch.from_numpy(np.stack(frames).transpose(0, 3, 1, 2)).float()  # noqa: E731
    for clip, (gts, ups) in bicubic_vid4.items():
        metric.process([], [dict(key=clip, gt_img=to_tensor(gts), output=dict(pred_img=to_tensor(ups)))])
    out = metric.compute_metrics(metric.results)
    assert round(out['PSNR'], 2) == 23.79
    assert round(out['SSIM'], 4) == 0.6323

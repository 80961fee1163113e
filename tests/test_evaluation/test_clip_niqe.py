"""ClipNIQE: MMagic's niqe per 8-bit frame, mean per clip then over clips; bad arguments rejected."""
import numpy as np
import pytest
import torch
from mmagic.evaluation.metrics.niqe import niqe

from iart_mm.evaluation import ClipNIQE


def test_mean_per_clip_then_over_clips():
    rng = np.random.default_rng(0)
    clips = {'a': rng.integers(0, 256, (2, 3, 96, 96)), 'b': rng.integers(0, 256, (1, 3, 96, 96))}
    metric = ClipNIQE()
    for key, frames in clips.items():
        metric.process([], [dict(key=key, output=dict(pred_img=torch.from_numpy(frames).float()))])
    out = metric.compute_metrics(metric.results)

    def clip_mean(frames):
        return np.mean([niqe(f.transpose(1, 2, 0).astype(np.uint8), 0, 'HWC', 'y') for f in frames])
    assert out['NIQE'] == pytest.approx((clip_mean(clips['a']) + clip_mean(clips['b'])) / 2)


def test_bad_convert_to():
    with pytest.raises(ValueError, match='convert_to'):
        ClipNIQE(convert_to='lab')

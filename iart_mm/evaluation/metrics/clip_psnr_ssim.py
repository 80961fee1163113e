"""``ClipPSNRSSIM``: PSNR and SSIM of a VSR test set exactly as IART's ``test_scripts``
(docs/release_differences.md, "Evaluation protocol").

Differences from MMagic's ``PSNR`` / ``SSIM`` metrics, which average per *sample* in float32 on unrounded output:
the output is rounded to 8 bits (round half to even) first; PSNR/SSIM are BasicSR's float64 functions
(:mod:`iart_mm.evaluation.functional`); scores are averaged per *clip* (samples of the same clip are merged),
then over clips; a per-clip table is logged. Protocols: REDS4 ``convert_to=None`` (RGB); Vid4, UDM10 and
Vimeo-90K-T ``convert_to='Y'`` (for Vimeo-90K-T the model returns the centre frame, e.g. MMagic's BasicVSR
when the GT is a single image, and ``center_frame_only=True`` also cuts a full output sequence down to it).
"""
import os.path as osp
from typing import Optional, Sequence

from mmengine.logging import print_log

from mmagic.evaluation.metrics.base_sample_wise_metric import BaseSampleWiseMetric
from mmagic.registry import METRICS
from ..clip_table import average_per_clip, format_clip_table
from ..functional import psnr, quantize_to_uint8, ssim


def clip_name_of(data_sample, index):
    """Name of the clip a test sample belongs to: its ``key`` (folder name), else its GT folder, else its index."""
    key = data_sample.get('key')
    if key:
        return str(key).split('/')[0]
    path = data_sample.get('gt_path') or data_sample.get('img_path')
    if isinstance(path, (list, tuple)) and path:
        path = path[0]
    if path:
        return osp.basename(osp.dirname(str(path)))
    return f'sample{index}'


def frames_hwc(tensor):
    """(t, c, h, w) or (c, h, w) tensor on a [0, 255] scale -> list of (h, w, c) uint8 arrays."""
    img = quantize_to_uint8(tensor)
    if img.ndim == 3:
        img = img[None]
    if img.ndim != 4:
        raise ValueError(f'expected a (t, c, h, w) or (c, h, w) image, got shape {img.shape}')
    return [frame.transpose(1, 2, 0) for frame in img]


@METRICS.register_module()
class ClipPSNRSSIM(BaseSampleWiseMetric):
    """PSNR and SSIM per frame -> mean per clip -> mean over clips (BasicSR functions, 8-bit output).

    Args:
        convert_to (str | None): 'Y' for BT.601 luma (Vid4, UDM10, Vimeo-90K-T), None for RGB (REDS4).
        crop_border (int): pixels cut from each edge; the papers use 0.
        center_frame_only (bool): score only the centre frame t // 2 of a sequence output (Vimeo-90K-T).
        channel_order (str): order of the channels the evaluator receives; MMagic's data preprocessor
            hands over 'BGR' at test time.
        gt_key / pred_key (str): where the GT and the prediction sit in a data sample.
        collect_device, prefix: as :class:`mmengine.evaluator.BaseMetric`.

    Metrics: ``PSNR`` and ``SSIM`` (means over clips); the per-clip table goes to the log.
    """

    metric = 'PSNR'  # MMagic's base class requires a name; both PSNR and SSIM are returned
    default_prefix = None

    def __init__(self,
                 convert_to: Optional[str] = None,
                 crop_border: int = 0,
                 center_frame_only: bool = False,
                 channel_order: str = 'BGR',
                 gt_key: str = 'gt_img',
                 pred_key: str = 'pred_img',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)  # MMagic's base: prepare(), sampler
        if convert_to is not None and str(convert_to).upper() != 'Y':
            raise ValueError(f"convert_to must be 'Y' or None, got {convert_to!r}")
        self.test_y_channel = convert_to is not None
        self.crop_border = int(crop_border)
        self.center_frame_only = center_frame_only
        self.channel_order = channel_order
        self.gt_key = gt_key
        self.pred_key = pred_key

    def score_frames(self, clip, gt_frames, pred_frames):
        """One record per frame pair: ``{'clip', 'PSNR', 'SSIM'}``."""
        kwargs = dict(crop_border=self.crop_border, test_y_channel=self.test_y_channel,
                      channel_order=self.channel_order)
        return [dict(clip=clip, PSNR=psnr(g, p, **kwargs), SSIM=ssim(g, p, **kwargs))
                for g, p in zip(gt_frames, pred_frames)]

    def process(self, data_batch: Sequence[dict], data_samples: Sequence[dict]) -> None:
        for index, data_sample in enumerate(data_samples):
            gt = frames_hwc(_lookup(data_sample, self.gt_key))
            pred = frames_hwc(_lookup(data_sample['output'], self.pred_key))
            if self.center_frame_only:
                gt, pred = ([gt[len(gt) // 2]] if len(gt) > 1 else gt), [pred[len(pred) // 2]]
            if len(gt) != len(pred):
                raise ValueError(f'{len(pred)} output frames but {len(gt)} GT frames')
            # one result per sample: MMEngine's collect_results keeps exactly len(dataset) entries
            self.results.append(self.score_frames(clip_name_of(data_sample, len(self.results)), gt, pred))

    def compute_metrics(self, results: list) -> dict:
        names = ['PSNR', 'SSIM']
        table, overall = average_per_clip([rec for sample in results for rec in sample], names)
        space = 'Y' if self.test_y_channel else 'RGB'
        print_log(f'per-clip {space} PSNR/SSIM ({self.prefix or "test"}):\n'
                  + format_clip_table(table, overall, names, digits={'PSNR': 4, 'SSIM': 4}), logger='current')
        return overall


def _lookup(data_sample, key):
    """A field of a data sample as a dict (MMEngine hands metrics ``DataSample.to_dict()``)."""
    if key in data_sample:
        return data_sample[key]
    raise KeyError(f'data sample has no {key!r} (keys: {sorted(data_sample)})')

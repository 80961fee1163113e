"""``ClipNIQE``: no-reference NIQE for real-world sets (VideoLQ), per frame -> mean per clip -> mean over clips.

The per-frame score is MMagic's ``niqe`` (MATLAB-faithful, official pristine parameters, 96x96 blocks) on the
output rounded to 8 bits, on the Y channel as in MMagic's RealBasicVSR VideoLQ config. Lower is better.
"""
from typing import Optional, Sequence

from mmengine.logging import print_log

from mmagic.evaluation.metrics.niqe import niqe
from mmagic.evaluation.metrics.base_sample_wise_metric import BaseSampleWiseMetric
from mmagic.registry import METRICS
from ..clip_table import average_per_clip, format_clip_table
from .clip_psnr_ssim import _lookup, clip_name_of, frames_hwc


@METRICS.register_module()
class ClipNIQE(BaseSampleWiseMetric):
    """NIQE of every output frame, averaged per clip then over clips; logs a per-clip table.

    Args:
        convert_to (str): 'y' (MATLAB YCbCr luma) or 'gray'; MMagic's functions expect BGR input.
        crop_border (int): pixels cut from each edge before scoring.
        pred_key (str): where the prediction sits in ``data_sample['output']``.
        collect_device, prefix: as :class:`mmengine.evaluator.BaseMetric`.

    Metrics: ``NIQE``.
    """

    metric = 'NIQE'

    def __init__(self,
                 convert_to: str = 'y',
                 crop_border: int = 0,
                 pred_key: str = 'pred_img',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)  # MMagic's base: prepare(), sampler
        if str(convert_to).lower() not in ('y', 'gray'):
            raise ValueError(f"convert_to must be 'y' or 'gray', got {convert_to!r}")
        self.convert_to = str(convert_to).lower()
        self.crop_border = int(crop_border)
        self.pred_key = pred_key

    def process(self, data_batch: Sequence[dict], data_samples: Sequence[dict]) -> None:
        for data_sample in data_samples:
            clip = clip_name_of(data_sample, len(self.results))
            frames = frames_hwc(_lookup(data_sample['output'], self.pred_key))
            self.results.append([
                dict(clip=clip, NIQE=float(niqe(f, self.crop_border, input_order='HWC', convert_to=self.convert_to)))
                for f in frames])

    def compute_metrics(self, results: list) -> dict:
        table, overall = average_per_clip([rec for sample in results for rec in sample], ['NIQE'])
        print_log(f'per-clip NIQE ({self.prefix or "test"}):\n' + format_clip_table(table, overall, ['NIQE']),
                  logger='current')
        return overall

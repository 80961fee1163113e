"""Metrics of the papers' evaluation protocols (registered in MMagic's METRICS)."""
from .clip_niqe import ClipNIQE
from .clip_psnr_ssim import ClipPSNRSSIM

__all__ = ['ClipPSNRSSIM', 'ClipNIQE']

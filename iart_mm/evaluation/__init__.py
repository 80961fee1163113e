"""iart_mm.evaluation: the papers' evaluation protocols (8-bit output, BasicSR PSNR/SSIM, per-clip means, NIQE)."""
from .functional import bt601_y, psnr, quantize_to_uint8, ssim
from .metrics import ClipNIQE, ClipPSNRSSIM

__all__ = ['bt601_y', 'psnr', 'quantize_to_uint8', 'ssim', 'ClipPSNRSSIM', 'ClipNIQE']

"""Datasets, degradations and dataset glue of iart_mm."""
from .matlab_resize import bi_downsample, imresize  # noqa: F401
from .synthetic_clip import make_demo_clip, write_generated_dataset  # noqa: F401
from .bd_degradation import bd_downsample, bd_kernel_1d, bd_kernel_2d, gaussian_blur_matlab  # noqa: F401
from .clip_frames_dataset import ClipFramesDataset  # noqa: F401

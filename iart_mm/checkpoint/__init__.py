"""Checkpoint converters: BasicSR / official IART / MMagic layouts, strict loading with named key errors."""
from .basicsr import (convert_basicsr_basicvsr, convert_spynet_basicsr_to_mmagic,  # noqa: F401
                      is_basicsr_basicvsr)
from .key_mapping import (CheckpointMismatchError, load_strict, read_state_dict,  # noqa: F401
                          rename_keys)
from .official import (UNUSED_OFFICIAL_KEYS, convert_official_iart, detect_layout,  # noqa: F401
                       infer_iart_config, read_official_state)

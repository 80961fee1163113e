"""IA-BasicVSR (the paper's IA-CNN): BasicVSRNet with a pluggable aligner, and the aligner-building helpers."""
from .aligner_support import FrameQuery, build_aligner
from .ia_basicvsr_net import IA_BASICVSR_NEW_KEY_PREFIXES, IABasicVSRNet

__all__ = ['IABasicVSRNet', 'IA_BASICVSR_NEW_KEY_PREFIXES', 'FrameQuery', 'build_aligner']

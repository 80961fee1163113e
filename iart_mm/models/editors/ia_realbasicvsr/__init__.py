"""IA-RealBasicVSR: RealBasicVSRNet whose recurrent part is IABasicVSRNet."""
from .ia_real_basicvsr_net import IARealBasicVSRNet

__all__ = ['IARealBasicVSRNet']

"""IA-RealBasicVSR: RealBasicVSRNet whose recurrent part is IABasicVSRNet, and a VGG perceptual loss that
loads its weights from torchvision, a local file, or nowhere (tests)."""
from .ia_real_basicvsr_net import IARealBasicVSRNet
from .perceptual_loss import VGGPerceptualLoss, build_vgg

__all__ = ['IARealBasicVSRNet', 'VGGPerceptualLoss', 'build_vgg']

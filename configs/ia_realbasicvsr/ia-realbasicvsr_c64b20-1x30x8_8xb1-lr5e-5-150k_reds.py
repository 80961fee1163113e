# IA-RealBasicVSR stage 2: GAN (UNet discriminator with spectral norm, vanilla GAN loss 5e-2) + perceptual
# loss (VGG19 layers 2/7/16/25/34) + L1, Adam 5e-5 (D 1e-4), 150K, starting from the stage-1 model.
# VGG19 weights: 'torchvision://vgg19' (torchvision's ImageNet weights, the usual source) or a local
# torchvision-layout file: --cfg-options model.perceptual_loss.pretrained=/path/vgg19-dcbb9e9d.pth
# (MMagic 1.2's PerceptualLoss ignores `pretrained` and always downloads; VGGPerceptualLoss honours it).
_base_ = 'mmagic::real_basicvsr/realbasicvsr_c64b20-1x30x8_8xb1-lr5e-5-150k_reds.py'

custom_imports = dict(imports=['iart_mm'], allow_failed_imports=False)

experiment_name = 'ia-realbasicvsr_c64b20-1x30x8_8xb1-lr5e-5-150k_reds'
work_dir = f'./work_dirs/{experiment_name}'
load_from = ('./work_dirs/ia-realbasicvsr_wogan-c64b20-2x30x8_8xb2-lr1e-4-300k_reds/'
             'iter_300000.pth')

model = dict(
    generator=dict(type='IARealBasicVSRNet', aligner=dict(type='ImplicitWarp', num_heads=4)),
    perceptual_loss=dict(type='VGGPerceptualLoss', pretrained='torchvision://vgg19'))
model_wrapper_cfg = dict(find_unused_parameters=True)

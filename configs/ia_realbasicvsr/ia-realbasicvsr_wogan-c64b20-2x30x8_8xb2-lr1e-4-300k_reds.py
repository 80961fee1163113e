# IA-RealBasicVSR stage 1 (no GAN): MMagic's RealBasicVSR recipe with IABasicVSRNet as the recurrent part.
# Data: REDS GT (train_sharp_sub) degraded on the fly by RealBasicVSR's second-order real-world pipeline
# (random blur, resize, Gaussian/Poisson noise, JPEG, video compression with libx264/h264/mpeg4, twice, then
# a shuffled final compression/resize+sinc), L1 pixel + cleaning losses, Adam 1e-4, 300K, EMA, UDM10 val.
_base_ = 'mmagic::real_basicvsr/realbasicvsr_wogan-c64b20-2x30x8_8xb2-lr1e-4-300k_reds.py'

custom_imports = dict(imports=['iart_mm'], allow_failed_imports=False)

experiment_name = 'ia-realbasicvsr_wogan-c64b20-2x30x8_8xb2-lr1e-4-300k_reds'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(generator=dict(type='IARealBasicVSRNet', aligner=dict(type='ImplicitWarp', num_heads=4)))
# the aligner's query layer and, early on, frozen parts may get no gradient in some steps
model_wrapper_cfg = dict(find_unused_parameters=True)

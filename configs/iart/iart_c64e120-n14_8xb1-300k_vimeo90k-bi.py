# IART Vimeo-90K BIx4 (options/IART_Vimeo_N14_300K.yml): septuplets mirror-extended to 7 + 7 = 14 frames,
# 300K iterations from the REDS N16 model, Adam 1e-4, validation on Vid4 (Y PSNR/SSIM).
# The release sets fix_flow=-1, which its trainer reads as "SpyNet frozen for the whole run";
# MMagic's BasicVSR freezes while step < fix_iter, so fix_iter > max_iters reproduces that. The 0.25x SPyNet
# learning rate (flow_lr_mul) is kept for completeness and has no effect while SpyNet is frozen.
_base_ = ['mmagic::basicvsr/basicvsr_2xb4_vimeo90k-bi.py', '../_base_/iart_recipe.py']

custom_imports = dict(imports=['iart_mm'], allow_failed_imports=False)

experiment_name = 'iart_c64e120-n14_8xb1-300k_vimeo90k-bi'
work_dir = f'./work_dirs/{experiment_name}'
max_iters = 300_000
load_from = './work_dirs/iart_c64e120-n16_8xb1-600k_reds4/iter_600000.pth'

model = dict(
    type='BasicVSR',
    generator={{_base_.iart_generator}},
    pixel_loss=dict(type='CharbonnierLoss', loss_weight=1.0, reduction='mean', eps=1e-12),
    train_cfg=dict(fix_iter=max_iters + 1))

train_dataloader = dict(num_workers=6, batch_size=1)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
optim_wrapper = {{_base_.iart_vimeo_optim_wrapper}}
param_scheduler = {{_base_.iart_param_scheduler}}
custom_hooks = {{_base_.iart_custom_hooks}}
find_unused_parameters = True
randomness = dict(seed=0)

# IART (IAPSRTRecurrentNet), REDS BIx4, 6-frame clips, 300K iterations: the release's
# options/IART_REDS_N6_300K.yml (docs/release_differences.md, "Training recipe").
# Validation on REDS4 (RGB PSNR/SSIM, crop 0).
# Training data: REDS train_sharp minus REDS4 (266 clips, MMagic's meta_info_reds4_train.txt), LR 64x64
# patches, flips + transpose, 8 GPUs x batch 1. Recipe (optimizer, AMP, EMA): ../_base_/iart_recipe.py.
_base_ = ['mmagic::basicvsr/basicvsr_2xb4_reds4.py', '../_base_/iart_recipe.py']

custom_imports = dict(imports=['iart_mm'], allow_failed_imports=False)

experiment_name = 'iart_c64e120-n6_8xb1-300k_reds4'
work_dir = f'./work_dirs/{experiment_name}'
max_iters = 300_000

model = dict(
    type='BasicVSR',
    generator={{_base_.iart_generator}},
    pixel_loss=dict(type='CharbonnierLoss', loss_weight=1.0, reduction='mean', eps=1e-12),
    train_cfg=dict(fix_iter=5000))  # SPyNet frozen for the first 5000 iterations

train_dataloader = dict(num_workers=6, batch_size=1, dataset=dict(num_input_frames=6))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
optim_wrapper = {{_base_.iart_optim_wrapper}}
param_scheduler = {{_base_.iart_param_scheduler}}
custom_hooks = {{_base_.iart_custom_hooks}}
# SPyNet is frozen then unfrozen: keep DDP tolerant of parameters without gradients
# (docs/release_differences.md, "Training: SPyNet unfreeze under DDP")
find_unused_parameters = True
randomness = dict(seed=0)

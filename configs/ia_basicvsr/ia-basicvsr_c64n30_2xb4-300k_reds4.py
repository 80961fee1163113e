# IA-BasicVSR (the paper's IA-CNN): MMagic's BasicVSR REDS4 recipe with implicit alignment in place of
# flow warping. Everything else is MMagic's basicvsr_2xb4_reds4 (REDS minus REDS4, 15-frame clips, 2 GPUs x 4,
# Adam 2e-4 / betas 0.9,0.99, cosine to 1e-7 over 300K, Charbonnier, SPyNet frozen 5000 iters then at 0.125x),
# plus the EMA (momentum 0.001) of the IART recipe. IA adds 14,272 parameters (0.23%) to BasicVSR.
_base_ = ['mmagic::basicvsr/basicvsr_2xb4_reds4.py', '../_base_/iart_recipe.py']

custom_imports = dict(imports=['iart_mm'], allow_failed_imports=False)

experiment_name = 'ia-basicvsr_c64n30_2xb4-300k_reds4'
work_dir = f'./work_dirs/{experiment_name}'

# An MMagic BasicVSR checkpoint can start it: load_from = a basicvsr_reds4 .pth (only aligner.* and
# feat_query.* are new; MMEngine's load_from is non-strict and logs them).
model = dict(generator=dict(type='IABasicVSRNet', aligner=dict(type='ImplicitWarp', num_heads=4)))

custom_hooks = {{_base_.iart_custom_hooks}}  # + the EMA (momentum 0.001) of the IART recipe

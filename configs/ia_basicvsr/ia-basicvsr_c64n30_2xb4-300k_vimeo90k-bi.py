# IA-BasicVSR on Vimeo-90K BIx4 (mirror-extended septuplets), validated on Vid4 BIx4 (Y): MMagic's
# basicvsr_2xb4_vimeo90k-bi recipe (trained from scratch like BasicVSR, so the comparison with BasicVSR is
# like for like) with the aligner plugged in.
_base_ = ['mmagic::basicvsr/basicvsr_2xb4_vimeo90k-bi.py', '../_base_/iart_recipe.py']

custom_imports = dict(imports=['iart_mm'], allow_failed_imports=False)

experiment_name = 'ia-basicvsr_c64n30_2xb4-300k_vimeo90k-bi'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(generator=dict(type='IABasicVSRNet', aligner=dict(type='ImplicitWarp', num_heads=4)))
custom_hooks = {{_base_.iart_custom_hooks}}  # + the EMA (momentum 0.001) of the IART recipe

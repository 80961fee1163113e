# BasicVSR++ complemented by implicit alignment: MMagic's own basicvsr-pp_c64n7_8xb1-600k_reds4 with only the
# generator overridden. The deformable alignment stays; its offset conditions (1st/2nd-order neighbours in
# the current frame's geometry) come from IA instead of bilinear warping. A BasicVSR++ checkpoint loads with
# only aligner.* new (load_from = basicvsr_plusplus_c64n7_8x1_600k_reds4_20210217-db622b2f.pth).
_base_ = 'mmagic::basicvsr_pp/basicvsr-pp_c64n7_8xb1-600k_reds4.py'

custom_imports = dict(imports=['iart_mm'], allow_failed_imports=False)

experiment_name = 'ia-basicvsr-pp_c64n7_8xb1-600k_reds4'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(generator=dict(
    type='IABasicVSRPlusPlusNet', align_mode='complement', aligner=dict(type='ImplicitWarp', num_heads=4)))

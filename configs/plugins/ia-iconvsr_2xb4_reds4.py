# IconVSR with implicit alignment in place of flow warping: MMagic's iconvsr_2xb4_reds4 with only the
# generator overridden (EDVR-M refill and coupled propagation unchanged).
_base_ = 'mmagic::iconvsr/iconvsr_2xb4_reds4.py'

custom_imports = dict(imports=['iart_mm'], allow_failed_imports=False)

experiment_name = 'ia-iconvsr_2xb4_reds4'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(generator=dict(type='IAIconVSRNet', aligner=dict(type='ImplicitWarp', num_heads=4)))

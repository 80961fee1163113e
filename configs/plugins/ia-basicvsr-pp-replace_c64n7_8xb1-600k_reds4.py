# BasicVSR++ with its flow-guided deformable alignment REPLACED by implicit alignment (a 3x3 conv per branch
# fuses the aligned 1st- and 2nd-order features). Swap the aligner type to compare others, e.g.
# --cfg-options model.generator.aligner.type=PatchAlign (drop num_heads for parameter-free aligners).
_base_ = './ia-basicvsr-pp_c64n7_8xb1-600k_reds4.py'

experiment_name = 'ia-basicvsr-pp-replace_c64n7_8xb1-600k_reds4'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(generator=dict(align_mode='replace'))

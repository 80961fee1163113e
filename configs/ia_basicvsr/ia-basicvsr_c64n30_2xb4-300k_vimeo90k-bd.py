# IA-BasicVSR on Vimeo-90K BDx4, validated on Vid4 BDx4 (Y): the BI config on BD data.
_base_ = './ia-basicvsr_c64n30_2xb4-300k_vimeo90k-bi.py'

experiment_name = 'ia-basicvsr_c64n30_2xb4-300k_vimeo90k-bd'
work_dir = f'./work_dirs/{experiment_name}'

train_dataloader = dict(dataset=dict(data_prefix=dict(img='BDx4', gt='GT')))
val_dataloader = dict(dataset=dict(data_prefix=dict(img='BDx4', gt='GT')))

# IART Vimeo-90K BDx4 (Gaussian sigma 1.6 blur + subsampling, see "BD degradation" in
# docs/release_differences.md): the BI recipe on BD data
# ("change the data", says the release README), validated on Vid4 BDx4.
_base_ = './iart_c64e120-n14_8xb1-300k_vimeo90k-bi.py'

experiment_name = 'iart_c64e120-n14_8xb1-300k_vimeo90k-bd'
work_dir = f'./work_dirs/{experiment_name}'

train_dataloader = dict(dataset=dict(data_prefix=dict(img='BDx4', gt='GT')))
val_dataloader = dict(dataset=dict(data_prefix=dict(img='BDx4', gt='GT')))

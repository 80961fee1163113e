# IART REDS BIx4 with 16-frame clips, 600K iterations (options/IART_REDS_N16_600K.yml): the model of the
# paper's REDS4 row (Table 2, BI: 32.90 dB / 0.9138) and the initialisation of the Vimeo-90K configs.
_base_ = './iart_c64e120-n6_8xb1-300k_reds4.py'

experiment_name = 'iart_c64e120-n16_8xb1-600k_reds4'
work_dir = f'./work_dirs/{experiment_name}'
max_iters = 600_000

train_dataloader = dict(dataset=dict(num_input_frames=16))
train_cfg = dict(max_iters=max_iters)
param_scheduler = dict(periods=[max_iters])

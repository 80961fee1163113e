# A tiny BasicVSR trained for a few iterations on a generated dataset: the smoke test of the training
# and test tools, and a base that other tiny configs override (generator, aligner).
# Make the data with:
#   python tools/dataset_converters/generate_tiny_dataset.py data/tiny_generated
# (tests write it to a temporary folder and point data_root there through --cfg-options).
_base_ = 'mmagic::basicvsr/basicvsr_2xb4_reds4.py'

custom_imports = dict(imports=['iart_mm'], allow_failed_imports=False)

experiment_name = 'tiny_generated_vsr'
work_dir = f'./work_dirs/{experiment_name}'
data_root = 'data/tiny_generated'

model = dict(
    generator=dict(type='BasicVSRNet', mid_channels=16, num_blocks=2, spynet_pretrained=None),
    train_cfg=dict(fix_iter=2))

train_pipeline = [
    dict(type='GenerateSegmentIndices', interval_list=[1]),
    dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
    dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
    dict(type='SetValues', dictionary=dict(scale=4)),
    dict(type='PairedRandomCrop', gt_patch_size=256),  # LR 64x64, SPyNet's minimum
    dict(type='Flip', keys=['img', 'gt'], flip_ratio=0.5, direction='horizontal'),
    dict(type='PackInputs')
]
val_pipeline = [
    dict(type='GenerateSegmentIndices', interval_list=[1]),
    dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
    dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
    dict(type='PackInputs')
]
_dataset = dict(
    type='BasicFramesDataset',
    metainfo=dict(dataset_type='tiny_generated', task_name='vsr'),
    data_root=data_root,
    data_prefix=dict(img='BIx4', gt='GT'),
    ann_file='meta_info.txt',
    depth=1)
train_dataloader = dict(
    num_workers=0, batch_size=1, persistent_workers=False,
    dataset=dict(_dataset, num_input_frames=3, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0, batch_size=1, persistent_workers=False,
    dataset=dict(_dataset, num_input_frames=4, fixed_seq_len=4, pipeline=val_pipeline))
test_dataloader = dict(val_dataloader, _delete_=True)
val_evaluator = dict(type='Evaluator', metrics=[dict(type='PSNR'), dict(type='SSIM')])
test_evaluator = dict(val_evaluator, _delete_=True)
test_cfg = dict(type='MultiTestLoop')

train_cfg = dict(type="IterBasedTrainLoop", max_iters=4, val_interval=2)
param_scheduler = dict(type='CosineRestartLR', by_epoch=False, periods=[4], restart_weights=[1], eta_min=1e-7)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=2, out_dir=None, max_keep_ckpts=3, save_best='PSNR', rule='greater'))
custom_hooks = []
visualizer = dict(type='ConcatImageVisualizer', vis_backends=[dict(type='LocalVisBackend')], fn_key='gt_path',
                  img_keys=['gt_img', 'input', 'pred_img'], bgr2rgb=True)
randomness = dict(seed=0, deterministic=False)

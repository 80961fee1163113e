# Vid4 BIx4 test set, scored as the papers do (docs/release_differences.md,
# "Evaluation protocol"): the whole clip in one pass, the output rounded to
# 8 bits, Y-channel PSNR/SSIM (BasicSR functions, crop 0), the mean per clip, then over the 4 clips
# (ClipPSNRSSIM, which also logs the per-clip table).
# Layout (MMagic's): <vid4_data_root>/{BIx4,GT}/<clip>/%08d.png and <vid4_data_root>/meta_info_Vid4_GT.txt
# ("calendar 41 (576,720,3)" ...). Point it elsewhere with --cfg-options, see docs/reproduce.md.
custom_imports = dict(imports=['iart_mm'], allow_failed_imports=False)

vid4_data_root = 'data/Vid4'
vid4_pipeline = [
    dict(type='GenerateSegmentIndices', interval_list=[1]),
    dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
    dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
    dict(type='PackInputs')
]
test_dataloader = dict(
    num_workers=0,
    batch_size=1,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='BasicFramesDataset',
        metainfo=dict(dataset_type='vid4', task_name='vsr'),
        data_root=vid4_data_root,
        data_prefix=dict(img='BIx4', gt='GT'),
        ann_file='meta_info_Vid4_GT.txt',
        depth=1,
        pipeline=vid4_pipeline))
test_evaluator = dict(type='Evaluator', metrics=[dict(type='ClipPSNRSSIM', convert_to='Y', prefix='Vid4-BIx4-Y')])
test_cfg = dict(type='MultiTestLoop')  # MMagic's loop: its Evaluator has a different process() signature

# The papers' test sets, one dataloader and one evaluator each, scored with the project's protocol metrics
# (ClipPSNRSSIM / ClipNIQE: 8-bit output, BasicSR PSNR/SSIM, mean per clip then over clips, a per-clip table in
# the log; docs/reproduce.md). Variables only, so this file can sit beside a model config in _base_; a test
# config picks one set:
#   _base_ = ['./<model config>.py', '../_base_/test_sets.py']
#   test_cfg = dict(type='MultiTestLoop')
#   test_dataloader = [{{_base_.vid4_bd_test_dataloader}}]
#   test_evaluator = [{{_base_.vid4_bd_test_evaluator}}]
# Each clip is one sample (the whole clip in one pass; its frame count comes from the annotation file, see
# iart_mm.datasets.ClipFramesDataset), and the sampler gives every sample to exactly one rank under
# tools/dist_test.sh (round_up=False: no rank repeats a clip to even out the split).
# Layouts (MMagic's, relative to the working directory; point elsewhere with
# --cfg-options test_dataloader.0.dataset.data_root=DIR):
#   REDS4       data/REDS/{train_sharp,train_sharp_bicubic/X4}/{000,011,015,020}/%08d.png, meta_info_reds4_val.txt
#   Vid4        data/Vid4/{GT,BIx4,BDx4}/<clip>/%08d.png, meta_info_Vid4_GT.txt
#   UDM10       data/UDM10/{GT,BDx4}/<clip>/%04d.png (clip folders are listed)
#   Vimeo-90K-T data/vimeo90k/{GT,BIx4,BDx4}/<seq>/<sub>/im1..7.png, meta_info_Vimeo90K_test_GT.txt
#   VideoLQ     data/VideoLQ/<clip>/%08d.png (LR only)
# Annotation files: tools/dataset_converters/make_annotations.py; BD frames: make_lr_frames.py --degradation BD.

test_set_loader = dict(
    num_workers=1,
    batch_size=1,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False))
test_set_clip_pipeline = [
    dict(type='GenerateSegmentIndices', interval_list=[1]),
    dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
    dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
    dict(type='PackInputs')
]

# REDS4 (BIx4): RGB, all 100 frames of each clip in one pass
reds4_test_dataloader = dict(
    test_set_loader,
    dataset=dict(
        type='ClipFramesDataset',
        metainfo=dict(dataset_type='reds_reds4', task_name='vsr'),
        data_root='data/REDS',
        data_prefix=dict(img='train_sharp_bicubic/X4', gt='train_sharp'),
        ann_file='meta_info_reds4_val.txt',
        depth=1,
        pipeline=test_set_clip_pipeline))
reds4_test_evaluator = dict(
    type='Evaluator', metrics=[dict(type='ClipPSNRSSIM', convert_to=None, prefix='REDS4-BIx4-RGB')])

# Vid4 BIx4 / BDx4: Y channel, all frames
vid4_bi_test_dataloader = dict(
    test_set_loader,
    dataset=dict(
        type='ClipFramesDataset',
        metainfo=dict(dataset_type='vid4', task_name='vsr'),
        data_root='data/Vid4',
        data_prefix=dict(img='BIx4', gt='GT'),
        ann_file='meta_info_Vid4_GT.txt',
        depth=1,
        pipeline=test_set_clip_pipeline))
vid4_bi_test_evaluator = dict(
    type='Evaluator', metrics=[dict(type='ClipPSNRSSIM', convert_to='Y', prefix='Vid4-BIx4-Y')])
vid4_bd_test_dataloader = dict(
    vid4_bi_test_dataloader, dataset=dict(vid4_bi_test_dataloader['dataset'], data_prefix=dict(img='BDx4', gt='GT')))
vid4_bd_test_evaluator = dict(
    type='Evaluator', metrics=[dict(type='ClipPSNRSSIM', convert_to='Y', prefix='Vid4-BDx4-Y')])

# UDM10 BDx4: Y channel, all frames (frames named %04d.png)
udm10_bd_test_dataloader = dict(
    test_set_loader,
    dataset=dict(
        type='ClipFramesDataset',
        metainfo=dict(dataset_type='udm10', task_name='vsr'),
        data_root='data/UDM10',
        data_prefix=dict(img='BDx4', gt='GT'),
        ann_file='',
        depth=1,
        pipeline=[
            dict(type='GenerateSegmentIndices', interval_list=[1], filename_tmpl='{:04d}.png'),
            dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
            dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
            dict(type='PackInputs')
        ]))
udm10_bd_test_evaluator = dict(
    type='Evaluator', metrics=[dict(type='ClipPSNRSSIM', convert_to='Y', prefix='UDM10-BDx4-Y')])

# Vimeo-90K-T BIx4 / BDx4: the 7 LR frames in, NOT mirror-extended (IART's flip_seq False; MMagic's own test
# config mirrors), only the centre frame im4.png scored on Y, mean over the sequences of the annotation file
# (BasicSR's list: 7,824). MMagic's BasicVSR returns output t // 2 when the GT is one frame; center_frame_only
# also cuts a full output sequence down to it.
vimeo90k_t_bi_test_dataloader = dict(
    test_set_loader,
    dataset=dict(
        type='ClipFramesDataset',
        metainfo=dict(dataset_type='vimeo90k_seq', task_name='vsr'),
        data_root='data/vimeo90k',
        data_prefix=dict(img='BIx4', gt='GT'),
        ann_file='meta_info_Vimeo90K_test_GT.txt',
        depth=2,
        num_input_frames=7,
        fixed_seq_len=7,
        load_frames_list=dict(img=[f'im{i}.png' for i in range(1, 8)], gt=['im4.png']),
        pipeline=[
            dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
            dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
            dict(type='PackInputs')
        ]))
vimeo90k_t_bi_test_evaluator = dict(
    type='Evaluator',
    metrics=[dict(type='ClipPSNRSSIM', convert_to='Y', center_frame_only=True, prefix='Vimeo-90K-T-BIx4-Y')])
vimeo90k_t_bd_test_dataloader = dict(
    vimeo90k_t_bi_test_dataloader,
    dataset=dict(vimeo90k_t_bi_test_dataloader['dataset'], data_prefix=dict(img='BDx4', gt='GT')))
vimeo90k_t_bd_test_evaluator = dict(
    type='Evaluator',
    metrics=[dict(type='ClipPSNRSSIM', convert_to='Y', center_frame_only=True, prefix='Vimeo-90K-T-BDx4-Y')])

# VideoLQ (real-world, no GT): NIQE on Y of every 8-bit output frame, mean per clip then over clips
videolq_test_dataloader = dict(
    test_set_loader,
    dataset=dict(
        type='ClipFramesDataset',
        metainfo=dict(dataset_type='videolq', task_name='vsr'),
        data_root='data/VideoLQ',
        data_prefix=dict(img='', gt=''),
        ann_file='',
        depth=1,
        pipeline=[
            dict(type='GenerateSegmentIndices', interval_list=[1]),
            dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
            dict(type='PackInputs')
        ]))
videolq_test_evaluator = dict(type='Evaluator', metrics=[dict(type='ClipNIQE', convert_to='y', prefix='VideoLQ')])

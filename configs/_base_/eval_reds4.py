# REDS4 (clips 000, 011, 015, 020; 100 frames each), BIx4: RGB PSNR/SSIM, crop 0, each clip in one pass,
# mean per clip then over the 4 clips
# (docs/release_differences.md, "Evaluation protocol").
# Layout: <reds_data_root>/{train_sharp_bicubic/X4,train_sharp}/<clip>/%08d.png and meta_info_reds4_val.txt
# (tools/dataset_converters/make_annotations.py reds4).
_base_ = './eval_vid4_bi.py'

reds_data_root = 'data/REDS'
test_dataloader = dict(
    dataset=dict(
        metainfo=dict(dataset_type='reds_reds4', task_name='vsr'),
        data_root=reds_data_root,
        data_prefix=dict(img='train_sharp_bicubic/X4', gt='train_sharp'),
        ann_file='meta_info_reds4_val.txt',
        num_input_frames=100,
        fixed_seq_len=100))
test_evaluator = dict(metrics=[dict(type='ClipPSNRSSIM', convert_to=None, prefix='REDS4-BIx4-RGB')])

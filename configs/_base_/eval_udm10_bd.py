# UDM10 BDx4: Y channel, crop 0, whole clips, mean per clip then over the 10 clips
# (docs/release_differences.md, "Evaluation protocol").
# Layout: <udm10_data_root>/{BDx4,GT}/<clip>/%04d.png (folders are listed; no annotation file needed).
_base_ = './eval_vid4_bi.py'

udm10_data_root = 'data/UDM10'
test_dataloader = dict(
    dataset=dict(
        metainfo=dict(dataset_type='udm10', task_name='vsr'),
        data_root=udm10_data_root,
        data_prefix=dict(img='BDx4', gt='GT'),
        ann_file='',
        pipeline=[
            dict(type='GenerateSegmentIndices', interval_list=[1], filename_tmpl='{:04d}.png'),
            dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
            dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
            dict(type='PackInputs')
        ]))
test_evaluator = dict(metrics=[dict(type='ClipPSNRSSIM', convert_to='Y', prefix='UDM10-BDx4-Y')])

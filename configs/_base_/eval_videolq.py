# VideoLQ (real-world, no GT): NIQE on the Y channel of every 8-bit output frame, mean per clip then over clips
# (ClipNIQE over MMagic's MATLAB-faithful niqe). Layout: <videolq_data_root>/<clip>/%08d.png.
_base_ = './eval_vid4_bi.py'

videolq_data_root = 'data/VideoLQ'
test_dataloader = dict(
    dataset=dict(
        metainfo=dict(dataset_type='videolq', task_name='vsr'),
        data_root=videolq_data_root,
        data_prefix=dict(img='', gt=''),
        ann_file='',
        pipeline=[
            dict(type='GenerateSegmentIndices', interval_list=[1]),
            dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
            dict(type='PackInputs')
        ]))
test_evaluator = dict(_delete_=True, type='Evaluator', metrics=[dict(type='ClipNIQE', convert_to='y', prefix='VideoLQ')])

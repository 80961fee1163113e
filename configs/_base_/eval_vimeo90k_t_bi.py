# Vimeo-90K-T BIx4: 7 LR frames in, the centre frame (im4.png) scored on Y, crop 0, no mirror extension
# (IART's flip_seq False), mean over the clips of meta_info_Vimeo90K_test_GT.txt (BasicSR's list: 7,824 clips;
# tools/dataset_converters/make_annotations.py vimeo90k writes it from the official sep_testlist.txt).
# MMagic's BasicVSR returns the centre output frame when the GT is one image; center_frame_only also covers
# models that return all 7.
_base_ = './eval_vid4_bi.py'

vimeo_data_root = 'data/vimeo90k'
test_dataloader = dict(
    dataset=dict(
        metainfo=dict(dataset_type='vimeo90k_seq', task_name='vsr'),
        data_root=vimeo_data_root,
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
test_evaluator = dict(
    metrics=[dict(type='ClipPSNRSSIM', convert_to='Y', center_frame_only=True, prefix='Vimeo-90K-T-BIx4-Y')])

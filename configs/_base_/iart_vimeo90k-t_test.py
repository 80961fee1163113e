# Vimeo-90K-T test sets as the IART release scores them (docs/release_differences.md,
# "Evaluation protocol"): the 7 LR frames in, NOT mirror-
# extended (flip_seq False), only the centre frame im4.png scored (MMagic's BasicVSR picks output t // 2 = 3
# when the GT is a single image), Y-channel PSNR/SSIM, crop 0, over the clips in meta_info_Vimeo90K_test_GT.txt
# (BasicSR's list, 7,824 clips). MMagic's own basicvsr_test_config mirror-extends the input instead.
# Variables only (no runner keys), so it can sit beside a training config in _base_.
vimeo90k_t_data_root = 'data/vimeo90k'
vimeo90k_t_frames = ['im1.png', 'im2.png', 'im3.png', 'im4.png', 'im5.png', 'im6.png', 'im7.png']
vimeo90k_t_pipeline = [
    dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
    dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
    dict(type='PackInputs')
]
vimeo90k_t_dataset = dict(
    type='BasicFramesDataset',
    metainfo=dict(dataset_type='vimeo90k_seq', task_name='vsr'),
    data_root=vimeo90k_t_data_root,
    ann_file='meta_info_Vimeo90K_test_GT.txt',
    depth=2,
    num_input_frames=7,
    fixed_seq_len=7,
    load_frames_list=dict(img=vimeo90k_t_frames, gt=['im4.png']),
    pipeline=vimeo90k_t_pipeline)
vimeo90k_t_loader = dict(
    num_workers=1, batch_size=1, persistent_workers=False, sampler=dict(type='DefaultSampler', shuffle=False))
vimeo90k_t_bi_dataloader = dict(
    vimeo90k_t_loader, dataset=dict(vimeo90k_t_dataset, data_prefix=dict(img='BIx4', gt='GT')))
vimeo90k_t_bd_dataloader = dict(
    vimeo90k_t_loader, dataset=dict(vimeo90k_t_dataset, data_prefix=dict(img='BDx4', gt='GT')))
vimeo90k_t_bi_evaluator = [
    dict(type='PSNR', convert_to='Y', prefix='Vimeo-90K-T-BIx4-Y'),
    dict(type='SSIM', convert_to='Y', prefix='Vimeo-90K-T-BIx4-Y'),
]
vimeo90k_t_bd_evaluator = [
    dict(type='PSNR', convert_to='Y', prefix='Vimeo-90K-T-BDx4-Y'),
    dict(type='SSIM', convert_to='Y', prefix='Vimeo-90K-T-BDx4-Y'),
]

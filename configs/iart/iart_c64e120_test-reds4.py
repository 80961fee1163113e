# Test the IART REDS N16 model on REDS4 (4 clips x 100 frames, each clip in one pass, RGB PSNR/SSIM, crop 0):
# the paper's Table 2 REDS4 BIx4 row (32.90 / 0.9138).
#   python tools/test.py configs/iart/iart_c64e120_test-reds4.py CHECKPOINT
_base_ = './iart_c64e120-n16_8xb1-600k_reds4.py'

experiment_name = 'iart_c64e120_test-reds4'
work_dir = f'./work_dirs/{experiment_name}'

test_cfg = dict(type='MultiTestLoop')
test_dataloader = [{{_base_.reds_dataloader}}]  # from mmagic::_base_/datasets/basicvsr_test_config.py
test_evaluator = [{{_base_.reds_evaluator}}]

# Test the IART Vimeo-90K BI model on Vid4 BIx4 (Table 2: 28.26 / 0.8517) and Vimeo-90K-T BIx4
# (Table 2: 38.14 dB), Y channel, crop 0.
_base_ = ['./iart_c64e120-n14_8xb1-300k_vimeo90k-bi.py', '../_base_/iart_vimeo90k-t_test.py']

experiment_name = 'iart_c64e120_test-vimeo90k-bi'
work_dir = f'./work_dirs/{experiment_name}'

test_cfg = dict(type='MultiTestLoop')
test_dataloader = [{{_base_.vid4_bi_dataloader}}, {{_base_.vimeo90k_t_bi_dataloader}}]
test_evaluator = [{{_base_.vid4_bi_evaluator}}, {{_base_.vimeo90k_t_bi_evaluator}}]

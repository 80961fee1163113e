# Test the IART Vimeo-90K BI model on all its BI test sets in one run: Vid4 BIx4 (Table 2: 28.26 / 0.8517) and
# Vimeo-90K-T BIx4 (Table 2: 38.14 dB), Y channel, the project's protocol metric. Needs both sets on disk; with
# one set, use iart_c64e120_test-vid4-bi.py or iart_c64e120_test-vimeo90k-t-bi.py.
_base_ = ['./iart_c64e120-n14_8xb1-300k_vimeo90k-bi.py', '../_base_/test_sets.py']

experiment_name = 'iart_c64e120_test-vimeo90k-bi'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(generator=dict(spynet_pretrained=None))  # the checkpoint holds every weight: nothing to download
test_cfg = dict(type='MultiTestLoop')
test_dataloader = [{{_base_.vid4_bi_test_dataloader}}, {{_base_.vimeo90k_t_bi_test_dataloader}}]
test_evaluator = [{{_base_.vid4_bi_test_evaluator}}, {{_base_.vimeo90k_t_bi_test_evaluator}}]
custom_hooks = [dict(type='TestProgressHook')]  # a log line per clip with the time left; no image dumps

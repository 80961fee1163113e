# Test the IART Vimeo-90K BI model on Vid4 BIx4 (Y, all frames), scored with the project's protocol metric (a
# per-clip table in the log).
# Paper: Table 2: 28.26 / 0.8517.
# Needs only this test set on disk (layout: configs/_base_/test_sets.py):
#   python tools/test.py configs/iart/iart_c64e120_test-vid4-bi.py CHECKPOINT
#   tools/dist_test.sh configs/iart/iart_c64e120_test-vid4-bi.py CHECKPOINT GPUS
_base_ = ['./iart_c64e120-n14_8xb1-300k_vimeo90k-bi.py', '../_base_/test_sets.py']

experiment_name = 'iart_c64e120_test-vid4-bi'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(generator=dict(spynet_pretrained=None))  # the checkpoint holds every weight: nothing to download
test_cfg = dict(type='MultiTestLoop')
test_dataloader = [{{_base_.vid4_bi_test_dataloader}}]
test_evaluator = [{{_base_.vid4_bi_test_evaluator}}]
custom_hooks = [dict(type='TestProgressHook')]  # a log line per clip with the time left; no image dumps

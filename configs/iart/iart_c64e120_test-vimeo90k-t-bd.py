# Test the IART Vimeo-90K BD model on Vimeo-90K-T BDx4 (Y, centre frame of 7 unmirrored inputs), scored with the
# project's protocol metric (a per-clip table in the log).
# Needs only this test set on disk (layout: configs/_base_/test_sets.py):
#   python tools/test.py configs/iart/iart_c64e120_test-vimeo90k-t-bd.py CHECKPOINT
#   tools/dist_test.sh configs/iart/iart_c64e120_test-vimeo90k-t-bd.py CHECKPOINT GPUS
_base_ = ['./iart_c64e120-n14_8xb1-300k_vimeo90k-bd.py', '../_base_/test_sets.py']

experiment_name = 'iart_c64e120_test-vimeo90k-t-bd'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(generator=dict(spynet_pretrained=None))  # the checkpoint holds every weight: nothing to download
test_cfg = dict(type='MultiTestLoop')
test_dataloader = [{{_base_.vimeo90k_t_bd_test_dataloader}}]
test_evaluator = [{{_base_.vimeo90k_t_bd_test_evaluator}}]
custom_hooks = [dict(type='TestProgressHook')]  # a log line per clip with the time left; no image dumps

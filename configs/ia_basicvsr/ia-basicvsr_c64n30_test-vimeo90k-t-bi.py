# Test IA-BasicVSR (Vimeo-90K BI) on Vimeo-90K-T BIx4 (Y, centre frame of 7 unmirrored inputs), scored with the
# project's protocol metric (a per-clip table in the log).
# Needs only this test set on disk (layout: configs/_base_/test_sets.py):
#   python tools/test.py configs/ia_basicvsr/ia-basicvsr_c64n30_test-vimeo90k-t-bi.py CHECKPOINT
#   tools/dist_test.sh configs/ia_basicvsr/ia-basicvsr_c64n30_test-vimeo90k-t-bi.py CHECKPOINT GPUS
_base_ = ['./ia-basicvsr_c64n30_2xb4-300k_vimeo90k-bi.py', '../_base_/test_sets.py']

experiment_name = 'ia-basicvsr_c64n30_test-vimeo90k-t-bi'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(generator=dict(spynet_pretrained=None))  # the checkpoint holds every weight: nothing to download
test_cfg = dict(type='MultiTestLoop')
test_dataloader = [{{_base_.vimeo90k_t_bi_test_dataloader}}]
test_evaluator = [{{_base_.vimeo90k_t_bi_test_evaluator}}]
custom_hooks = [dict(type='TestProgressHook')]  # a log line per clip with the time left; no image dumps

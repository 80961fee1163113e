# Test IA-BasicVSR (REDS) on REDS4 BIx4 (RGB, all 100 frames of each clip in one pass), scored with the project's
# protocol metric (a per-clip table in the log).
# Needs only this test set on disk (layout: configs/_base_/test_sets.py):
#   python tools/test.py configs/ia_basicvsr/ia-basicvsr_c64n30_test-reds4.py CHECKPOINT
#   tools/dist_test.sh configs/ia_basicvsr/ia-basicvsr_c64n30_test-reds4.py CHECKPOINT GPUS
_base_ = ['./ia-basicvsr_c64n30_2xb4-300k_reds4.py', '../_base_/test_sets.py']

experiment_name = 'ia-basicvsr_c64n30_test-reds4'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(generator=dict(spynet_pretrained=None))  # the checkpoint holds every weight: nothing to download
test_cfg = dict(type='MultiTestLoop')
test_dataloader = [{{_base_.reds4_test_dataloader}}]
test_evaluator = [{{_base_.reds4_test_evaluator}}]
custom_hooks = [dict(type='TestProgressHook')]  # a log line per clip with the time left; no image dumps

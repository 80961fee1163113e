# REDS4 BIx4 (RGB, all 100 frames of each clip in one pass) with the project's protocol metric, as a data-only
# config: the
# test set, its evaluator and MMagic's MultiTestLoop, no model. Combine it with a model config that has no test
# set of its own, e.g.
#   _base_ = ['mmagic::_base_/default_runtime.py', './eval_reds4.py'];  model = dict(...)
# (configs/<family>/*_test-*.py are the ready-made model + test set configs). Layout: ./test_sets.py; data root:
#   --cfg-options test_dataloader.dataset.data_root=DIR
_base_ = './test_sets.py'

custom_imports = dict(imports=['iart_mm'], allow_failed_imports=False)

test_cfg = dict(type='MultiTestLoop')
test_dataloader = {{_base_.reds4_test_dataloader}}
test_evaluator = {{_base_.reds4_test_evaluator}}

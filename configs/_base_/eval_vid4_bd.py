# Vid4 BDx4 (MATLAB BD recipe, tools/dataset_converters/make_lr_frames.py --degradation BD): same protocol as BI
# (Y channel, crop 0, mean per clip then over clips); only the LR folder changes.
_base_ = './eval_vid4_bi.py'

test_dataloader = dict(dataset=dict(data_prefix=dict(img='BDx4', gt='GT')))
test_evaluator = dict(metrics=[dict(type='ClipPSNRSSIM', convert_to='Y', prefix='Vid4-BDx4-Y')])

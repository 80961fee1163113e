# The tiny BasicVSR of tiny_generated_vsr.py made bit-reproducible, for the DDP / resume / fix_iter tests
# (tests/test_engine, tests/test_tools/test_dist_*.py): no random crop or flip, clips of exactly num_input_frames
# frames (so the segment start is always 0), an unshuffled sampler (rank r of 2 sees the sample that a single
# process with batch 2 sees in slot r), deterministic algorithms, a checkpoint every iteration, SPyNet frozen for
# fix_iter = 3 iterations then trained at lr x 0.125 (MMagic BasicVSR's mechanism: the step_counter buffer travels
# in the checkpoint), the paper's EMA (momentum 0.001) through SelectableEMAHook, and a per-iteration trace
# (TrainingTraceHook: loss and weight digest per rank) that the tests compare.
# Data: python tools/dataset_converters/generate_tiny_dataset.py DIR --clips 2 --frames 2 --hr-size 256
_base_ = './tiny_generated_vsr.py'

experiment_name = 'tiny_generated_vsr_deterministic'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(train_cfg=dict(fix_iter=3))

train_pipeline = [
    dict(type='GenerateSegmentIndices', interval_list=[1]),
    dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
    dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=1,
    sampler=dict(type='InfiniteSampler', shuffle=False),
    dataset=dict(num_input_frames=2, pipeline=train_pipeline))
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None

train_cfg = dict(type='IterBasedTrainLoop', max_iters=5, val_interval=1000)
param_scheduler = dict(type='CosineRestartLR', by_epoch=False, periods=[5], restart_weights=[1], eta_min=1e-7)
# Adam's first step on a parameter is ~lr * sign(grad); eps 1e-4 (instead of 1e-8) keeps that step linear in tiny
# gradients, so that float summation order (1 process x batch 2 vs 2 ranks x batch 1) cannot flip signs at the
# SPyNet unfreeze and the DDP comparison can use a 1e-5 tolerance.
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.99), eps=1e-4),
                     paramwise_cfg=dict(custom_keys={'spynet': dict(lr_mult=0.125)}))
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=1, max_keep_ckpts=-1, save_best=None, save_last=True))
custom_hooks = [dict(type='SelectableEMAHook', ema_type='ExponentialMovingAverage', momentum=0.001,
                     val_on_ema=False, priority='ABOVE_NORMAL'),
                dict(type='TrainingTraceHook')]
find_unused_parameters = True
randomness = dict(seed=0, deterministic=True)

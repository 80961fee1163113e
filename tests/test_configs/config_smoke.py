"""Test helper: turn a released config into a tiny CPU config on generated data and run one training iteration.

What is scaled down (and nothing else): the generator's width/depth (TINY_GENERATORS), the aligner's heads,
the discriminator width, the perceptual loss's VGG (random weights, two shallow layers), the training data
(a generated REDS-layout clip at LR 64x64, SPyNet's minimum, 2 frames, batch 1, no workers), AMP (CUDA
only) -> plain OptimWrapper, and the run length (1 iteration, no validation, no checkpoint, no load_from).
The data pipeline, model type, losses, optimizer groups, scheduler and hooks (EMA) are the config's own.
"""
import copy
import math

from mmengine import Config
from mmengine.runner import Runner

#: per generator type: tiny sizes, and no pretrained weights (no network access in tests)
TINY_GENERATORS = {
    'IAPSRTRecurrentNet': dict(mid_channels=8, embed_dim=8, depths=(1, ), num_heads=(2, ), spynet_pretrained=None),
    'IABasicVSRNet': dict(mid_channels=8, num_blocks=1, spynet_pretrained=None),
    'IARealBasicVSRNet': dict(mid_channels=8, num_propagation_blocks=1, num_cleaning_blocks=1,
                              spynet_pretrained=None),
    'IABasicVSRPlusPlusNet': dict(mid_channels=8, num_blocks=1, spynet_pretrained=None),
    # EDVR's refill features are 64 channels whatever mid_channels is, so IconVSR stays at 64
    'IAIconVSRNet': dict(mid_channels=64, num_blocks=1, spynet_pretrained=None, edvr_pretrained=None),
}
NUM_FRAMES = 2
#: IconVSR's EDVR refill pads a clip with its frames 3 and 4, so it needs 5
NUM_FRAMES_FOR = {'IAIconVSRNet': 5}


def tiny_generator(generator):
    """Scale a generator config down in place (its type and aligner type are kept)."""
    if generator.type not in TINY_GENERATORS:
        raise KeyError(f'no tiny sizes for generator {generator.type}; add it to TINY_GENERATORS')
    generator.update(TINY_GENERATORS[generator.type])
    aligner = generator.get('aligner')
    if aligner is not None and 'num_heads' in aligner:
        aligner.num_heads = 4 if generator.mid_channels == 64 else 2


def tiny_dataset(dataset, data_root, num_frames=NUM_FRAMES):
    """Point a training dataset config at the generated clip (``GT/``, ``BIx4/``, ``meta_info.txt``)."""
    prefix = dataset.data_prefix
    gt_only = prefix.get('img') == prefix.get('gt')  # RealBasicVSR degrades the GT on the fly
    dataset.update(data_root=str(data_root), ann_file='meta_info.txt', depth=1, num_input_frames=num_frames,
                   data_prefix=dict(img='GT' if gt_only else 'BIx4', gt='GT'))
    if dataset.get('load_frames_list'):  # Vimeo-90K layout: a fixed list of frame files per clip
        frames = [f'{i:08d}.png' for i in range(num_frames)]
        dataset.update(load_frames_list=dict(img=frames, gt=frames), fixed_seq_len=num_frames)


def tiny_train_config(path, data_root, work_dir):
    """Config ``path`` scaled down to one CPU training iteration on the generated data."""
    cfg = Config.fromfile(str(path))
    tiny_generator(cfg.model.generator)
    if 'discriminator' in cfg.model:
        cfg.model.discriminator.mid_channels = 8
    if 'perceptual_loss' in cfg.model:
        # no VGG download in tests: random weights, and only two shallow layers to keep CPU time low
        cfg.model.perceptual_loss.update(pretrained=None, layer_weights={'2': 0.1, '7': 0.1})
    tiny_dataset(cfg.train_dataloader.dataset, data_root, NUM_FRAMES_FOR.get(cfg.model.generator.type, NUM_FRAMES))
    cfg.train_dataloader.update(batch_size=1, num_workers=0, persistent_workers=False)
    for wrapper in _optim_wrappers(cfg.optim_wrapper):
        if wrapper.get('type') == 'AmpOptimWrapper':  # CUDA-only in MMEngine
            wrapper.type = 'OptimWrapper'
            wrapper.pop('loss_scale', None)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=1, val_interval=10**9)
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader', 'test_cfg', 'test_evaluator'):
        cfg[key] = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10**9, save_last=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', []) if h.type != 'BasicVisualizationHook']
    cfg.update(work_dir=str(work_dir), load_from=None, resume=False, launcher='none', log_level='WARNING')
    return cfg


def _optim_wrappers(optim_wrapper):
    if optim_wrapper.get('constructor') == 'MultiOptimWrapperConstructor':
        return [v for k, v in optim_wrapper.items() if isinstance(v, dict) and 'optimizer' in v]
    return [optim_wrapper]


def run_one_iteration(cfg):
    """Train ``cfg`` for its one iteration; return the logged losses {name: value} (all must be finite)."""
    runner = Runner.from_cfg(copy.deepcopy(cfg))
    runner.train()
    assert runner.iter == 1
    scalars = runner.message_hub.log_scalars
    losses = {k: scalars[k].current() for k in scalars if k.startswith('train/loss')}
    assert losses, f'no loss was logged: {sorted(scalars)}'
    assert all(math.isfinite(v) for v in losses.values()), losses
    return runner, losses

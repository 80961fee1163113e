"""Every shipped training config trains on CPU through ``tools/train.py`` as a user runs it, then resumes.

For each config under configs/{iart,ia_basicvsr,ia_realbasicvsr,plugins} (all but the ``_test-`` ones): stand-in
REDS / Vimeo-90K / Vid4 / UDM10 sets in the official layouts are written to a temporary folder, and
``tools/train.py CONFIG --work-dir WD`` runs there (so the configs' own ``data/...`` paths find them) for one
iteration, then ``--resume`` to iteration 2. The configs are used as shipped; ``--cfg-options`` only
- turns pretrained downloads off (CI is offline): ``spynet_pretrained``, IconVSR's ``edvr_pretrained``, the
  perceptual loss's VGG19 ``pretrained``, and a ``load_from`` that names an earlier stage's checkpoint;
- shrinks sizes for a 2-core CI: frames per clip, network widths/depths, one loader worker (the configs'
  6-10 workers would prefetch a dozen batches for a one-iteration run), and no second validation in the resume.
Optimizer, AMP setting, scheduler, losses, hooks and data pipelines are the configs' own: in particular the
IART configs' AMP wrapper must give an fp32 CPU run by itself.
"""
import math
import os
import re
import subprocess
import sys

import pytest
import torch

from tests.conftest import REPO_DIR
from tests.stand_in_train_sets import REDS_FRAMES, write_stand_in_train_sets

pytestmark = pytest.mark.slow

CONFIG_DIRS = ('iart', 'ia_basicvsr', 'ia_realbasicvsr', 'plugins')
TRAIN_CONFIGS = sorted(p for d in CONFIG_DIRS for p in (REPO_DIR / 'configs' / d).glob('*.py')
                       if '_test-' not in p.name)

# -- what each config needs changed (see the module docstring), by generator type -------------------------------
#: frames per training clip (and REDS4 validation clip, which the configs fix at 100)
FRAMES = 2
#: IconVSR's EDVR refill pads a clip with its frames 3 and 4
FRAMES_FOR = {'IAIconVSRNet': REDS_FRAMES}


def reds(frames):
    return [f'train_dataloader.dataset.num_input_frames={frames}', f'val_dataloader.dataset.num_input_frames={frames}',
            f'val_dataloader.dataset.fixed_seq_len={frames}']


def vimeo(frames):
    """Vimeo-90K septuplets: the first ``frames`` of the 7 (mirrored to twice that by the pipeline)."""
    names = ','.join(f'im{i}.png' for i in range(1, frames + 1))
    return [f'train_dataloader.dataset.load_frames_list.img=[{names}]',
            f'train_dataloader.dataset.load_frames_list.gt=[{names}]']


OPTIONS = {
    'IAPSRTRecurrentNet': ['model.generator.spynet_pretrained=None', 'model.generator.mid_channels=8',
                           'model.generator.embed_dim=8', 'model.generator.depths=[1]',
                           'model.generator.num_heads=[2]'],
    'IABasicVSRNet': ['model.generator.spynet_pretrained=None', 'model.generator.mid_channels=8',
                      'model.generator.num_blocks=1', 'model.generator.aligner.num_heads=2'],
    'IABasicVSRPlusPlusNet': ['model.generator.spynet_pretrained=None', 'model.generator.mid_channels=8',
                              'model.generator.num_blocks=1', 'model.generator.aligner.num_heads=2'],
    # EDVR's refill features are 64 channels whatever mid_channels is
    'IAIconVSRNet': ['model.generator.spynet_pretrained=None', 'model.generator.edvr_pretrained=None',
                     'model.generator.num_blocks=1'],
    # RealBasicVSR reads train_sharp_sub clips whole (no meta file) and validates on whole UDM10 clips
    'IARealBasicVSRNet': ['model.generator.spynet_pretrained=None', 'model.generator.mid_channels=8',
                          'model.generator.num_propagation_blocks=1', 'model.generator.num_cleaning_blocks=1',
                          'model.generator.aligner.num_heads=2', f'train_dataloader.dataset.num_input_frames={FRAMES}'],
}
DATA = {'reds4': reds, 'vimeo90k': vimeo}


def ids(paths):
    return [p.relative_to(REPO_DIR / 'configs').as_posix() for p in paths]


def options_for(path):
    """The ``--cfg-options`` of a config: offline, sizes (see the module docstring)."""
    from mmengine import Config
    cfg = Config.fromfile(str(path))
    generator = cfg.model.generator.type
    opts = list(OPTIONS[generator])
    data = next((v for k, v in DATA.items() if path.stem.endswith(k) or f'_{k}-' in path.stem), None)
    if data is not None:
        opts += data(FRAMES_FOR.get(generator, FRAMES))
    if 'discriminator' in cfg.model:
        opts.append('model.discriminator.mid_channels=8')
    if 'perceptual_loss' in cfg.model:
        opts.append('model.perceptual_loss.pretrained=None')
    if cfg.get('load_from'):  # the checkpoint of the stage this one fine-tunes
        opts.append('load_from=None')
    return opts + ['train_dataloader.num_workers=1']


@pytest.fixture(scope='module')
def stand_in_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('train_sets')
    write_stand_in_train_sets(root)
    return root


def train(cwd, config, work_dir, *args):
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    env['PYTHONPATH'] = f'{REPO_DIR}{os.pathsep}{env.get("PYTHONPATH", "")}'
    return subprocess.run([sys.executable, str(REPO_DIR / 'tools' / 'train.py'), str(config), '--work-dir',
                           str(work_dir), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=1200)


def test_every_training_config_is_covered():
    assert len(TRAIN_CONFIGS) >= 12
    for d in CONFIG_DIRS:
        assert any(p.parent.name == d for p in TRAIN_CONFIGS), d


@pytest.mark.parametrize('config', TRAIN_CONFIGS, ids=ids(TRAIN_CONFIGS))
def test_config_trains_one_iteration_and_resumes_on_cpu(config, stand_in_root, tmp_path):
    opts = ['--cfg-options', *options_for(config)]
    work_dir = tmp_path / 'wd'

    proc = train(stand_in_root, config, work_dir, *opts, 'train_cfg.max_iters=1')
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert 'Saving checkpoint at 1 iterations' in log, log[-3000:]
    assert re.search(r'Iter\(val\) \[\d+/\d+\]', log), log[-3000:]  # the config's validation ran
    assert _trained_iters(work_dir / 'iter_1.pth') == 1
    # checkpoints under --work-dir (not MMagic's ./work_dirs/<name>), recorded with an absolute path
    assert (work_dir / 'last_checkpoint').read_text().strip() == str((work_dir / 'iter_1.pth').resolve())
    assert not (stand_in_root / 'work_dirs').exists()
    if not torch.cuda.is_available():
        assert 'GPU number: 0 (CPU, 1 process)' in log
        if config.parent.name == 'iart':  # the config's AMP wrapper gives fp32 on CPU by itself
            assert 'AutoAmpOptimWrapper: no accelerator (cpu), so training runs in fp32' in log

    # validation ran at the end of the first run; the resume run skips it (val_begin) to save CI time
    proc = train(stand_in_root, config, work_dir, '--resume', *opts, 'train_cfg.max_iters=2', 'train_cfg.val_begin=3')
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert 'resumed epoch: 0, iter: 1' in log, log[-3000:]
    assert 'Saving checkpoint at 2 iterations' in log, log[-3000:]
    assert _trained_iters(work_dir / 'iter_2.pth') == 2


def _trained_iters(checkpoint):
    """The checkpoint's iteration; its logged losses must be finite."""
    ckpt = torch.load(checkpoint, map_location='cpu', weights_only=False)
    scalars = ckpt['message_hub']['log_scalars']
    losses = {k: v.current() for k, v in scalars.items() if k.startswith('train/loss')}
    assert losses and all(math.isfinite(v) for v in losses.values()), losses
    return ckpt['meta']['iter']

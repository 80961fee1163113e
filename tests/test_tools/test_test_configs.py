"""Every shipped test config on its user paths, on stand-in data in the official layouts (tests/stand_in_sets.py):

* ``python tools/test.py CONFIG CKPT``, run from the folder that holds ``data/`` (the configs' default data roots),
  builds offline, restores every clip and logs the per-clip table of the project's protocol metric
  (ClipPSNRSSIM / ClipNIQE) with the config's label (e.g. ``Vid4-BDx4-Y``) and the mean over clips;
* ``tools/dist_test.sh CONFIG CKPT 2`` (torchrun, gloo on CPU) prints the same table and the same means to the
  printed digits: each clip is scored by exactly one rank and counted once (UDM10's 3 clips split 2 + 1).

The checkpoints are random-init states of each config's model saved in MMEngine's format; the widths are shrunk
with ``--cfg-options`` (the same options for the checkpoint and for the tools), as a user would pass them.
"""
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine import Config
from mmengine.registry import DefaultScope

from tests.conftest import REPO_DIR
from tests.stand_in_sets import REDS4_CLIPS, SET_OF_DATASET_TYPE, VID4_CLIPS, write_stand_in_sets
from tests.test_configs.config_smoke import TINY_GENERATORS

TEST_CONFIGS = sorted((REPO_DIR / 'configs').glob('*/*_test-*.py'))
#: what each set's table must list (clip names and frames per clip)
CLIPS = {'REDS': (REDS4_CLIPS, 5), 'Vid4': (VID4_CLIPS, 3), 'UDM10': (('archpeople', 'archwall', 'auditorium'), 3),
         'vimeo90k': (('00001/0266', '00001/0268', '00002/0010'), 1), 'VideoLQ': (('000', '001'), 3)}


def ids(paths):
    return [p.relative_to(REPO_DIR / 'configs').as_posix() for p in paths]


def tiny_options(cfg):
    """``--cfg-options`` that shrink the config's networks (and nothing else)."""
    gen = cfg.model.generator
    sizes = TINY_GENERATORS.get(gen.type, dict(mid_channels=8, num_blocks=1, spynet_pretrained=None))
    opts = {f'model.generator.{k}': v for k, v in sizes.items()}
    if 'num_heads' in (gen.get('aligner') or {}):
        opts['model.generator.aligner.num_heads'] = 4 if sizes['mid_channels'] == 64 else 2
    if 'discriminator' in cfg.model:
        opts['model.discriminator.mid_channels'] = 8
    return opts


def as_cli(opts):
    def fmt(v):
        if isinstance(v, (tuple, list)):
            return '[' + ','.join(map(str, v)) + ']'
        return 'None' if v is None else str(v)
    return ['--cfg-options'] + [f'{k}={fmt(v)}' for k, v in opts.items()]


def random_checkpoint(config, opts, path):
    """The config's model (with ``opts``), randomly initialised, saved as an MMEngine checkpoint."""
    from mmagic.registry import MODELS
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(opts)
    with DefaultScope.overwrite_default_scope('mmagic'):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
    torch.save({'meta': {'note': 'random init, for tests'}, 'state_dict': model.state_dict()}, path)
    return cfg


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


#: any download attempt fails at once (the tools must run offline once a checkpoint is given)
OFFLINE = dict(HTTP_PROXY='http://127.0.0.1:9', HTTPS_PROXY='http://127.0.0.1:9', http_proxy='http://127.0.0.1:9',
               https_proxy='http://127.0.0.1:9', NO_PROXY='localhost,127.0.0.1', no_proxy='localhost,127.0.0.1')


#: torchrun gives each rank one CPU thread; the single process gets the same, so both runs do the same float
#: arithmetic (another thread count rounds differently, and a random network's NIQE shows it in the 3rd decimal)
SAME_ARITHMETIC = dict(OMP_NUM_THREADS='1')


def run(cmd, cwd, **env):
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=900,
                          env=dict(os.environ, **OFFLINE, **SAME_ARITHMETIC, **env))
    return proc.returncode, proc.stdout + proc.stderr


def tables(log):
    """The per-clip tables in a log: {label: [rows]} (each row as printed), and the final metrics line."""
    found = {}
    for m in re.finditer(r'per-clip (?:\S+ PSNR/SSIM|NIQE) \((.+?)\):\n((?:\|.*\|\n?)+)', log):
        found[m.group(1)] = [r.strip() for r in m.group(2).strip().splitlines()]
    final = re.findall(r'Iter\(test\) \[\d+/\d+\]\s+(\S+/(?:PSNR|NIQE): .*)', log)
    return found, final[-1].strip() if final else None


def pretrained_urls(node, path='model'):
    """``(key path, value)`` of every ``*pretrained*`` setting below ``node`` that names something to download."""
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            if 'pretrained' in str(k) and isinstance(v, str) and '://' in v:
                found.append((f'{path}.{k}', v))
            found += pretrained_urls(v, f'{path}.{k}')
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            found += pretrained_urls(v, f'{path}.{i}')
    return found


@pytest.mark.parametrize('config', TEST_CONFIGS, ids=ids(TEST_CONFIGS))
def test_test_config_downloads_nothing(config):
    """A test config gets every weight from its checkpoint: no pretrained SPyNet / EDVR / VGG download as shipped."""
    assert not pretrained_urls(Config.fromfile(str(config)).model.to_dict())


def scores(final_line):
    """``[(name, printed value)]`` of the metrics in the final ``Iter(test)`` line, e.g. ``Vid4-BIx4-Y/PSNR``."""
    return re.findall(r'(\S+/(?:PSNR|SSIM|NIQE)): (\S+)', final_line)


@pytest.fixture(scope='module')
def stand_in(tmp_path_factory):
    root = tmp_path_factory.mktemp('stand_in')
    write_stand_in_sets(root)
    return root


@pytest.mark.slow  # three tool processes per config (test.py, then torchrun with 2 ranks)
@pytest.mark.parametrize('config', TEST_CONFIGS, ids=ids(TEST_CONFIGS))
def test_test_config_runs_test_py_and_dist_test_sh_to_the_same_table(config, stand_in, tmp_path):
    opts = tiny_options(Config.fromfile(str(config)))
    cfg = random_checkpoint(config, opts, tmp_path / 'random.pth')
    code, log = run([sys.executable, REPO_DIR / 'tools' / 'test.py', config, tmp_path / 'random.pth',
                     '--work-dir', tmp_path / 'single', *as_cli(opts)], cwd=stand_in)
    assert code == 0, log[-4000:]
    single, single_final = tables(log)

    labels = [m.prefix for e in cfg.test_evaluator for m in e.metrics]
    assert sorted(single) == sorted(labels), log[-4000:]
    for loader, label in zip(cfg.test_dataloader, labels):
        clips, frames = CLIPS[SET_OF_DATASET_TYPE[loader.dataset.metainfo.dataset_type]]
        rows = single[label]
        assert [r.split('|')[1].strip() for r in rows[2:-1]] == list(clips), rows
        assert all(int(r.split('|')[2]) == frames for r in rows[2:-1]), rows
        assert rows[-1].startswith('| **mean of clips** |'), rows
        metric = 'NIQE' if label == 'VideoLQ' else 'PSNR'
        assert re.search(rf'{re.escape(label)}/{metric}: \d+\.\d+', log), f'no {label}/{metric} in the log'
    assert len(scores(single_final)) == sum(1 if label == 'VideoLQ' else 2 for label in labels), single_final

    code, log = run(['bash', REPO_DIR / 'tools' / 'dist_test.sh', config, tmp_path / 'random.pth', 2,
                     '--work-dir', tmp_path / 'dist', *as_cli(opts)], cwd=stand_in, PORT=str(free_port()),
                    PYTHON=sys.executable)
    assert code == 0, log[-4000:]
    dist, dist_final = tables(log)
    assert dist == single  # every row: the clips, their frame counts, their scores, the mean
    assert scores(dist_final) == scores(single_final), (dist_final, single_final)

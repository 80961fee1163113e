"""Offline by default once a checkpoint is given: every shipped config builds its model with no network, and a
download that is really needed fails with one line naming the file and the config key."""
import json
import os
import subprocess
import sys

import pytest
from mmengine import Config

from iart_mm.checkpoint import WeightsDownloadError, explain_downloads, without_pretrained
from iart_mm.checkpoint.offline import pretrained_entries
from tests.paths import REPO_DIR

NESTED = dict(type='M', generator=dict(type='G', spynet_pretrained='https://x/spynet.pth', edvr_pretrained='e.pth'),
              perceptual_loss=dict(type='L', pretrained='torchvision://vgg19'),
              losses=[dict(type='L', pretrained='https://x/a.pth')], pretrained_window=3)


def test_pretrained_entries_and_without_pretrained():
    assert pretrained_entries(NESTED) == [
        ('model.generator.spynet_pretrained', 'https://x/spynet.pth'), ('model.generator.edvr_pretrained', 'e.pth'),
        ('model.perceptual_loss.pretrained', 'torchvision://vgg19'), ('model.losses.0.pretrained', 'https://x/a.pth')]
    cleared = without_pretrained(NESTED)
    assert pretrained_entries(cleared) == [] and cleared['pretrained_window'] == 3
    assert NESTED['generator']['spynet_pretrained'] == 'https://x/spynet.pth'  # a copy: the input is kept


def test_a_needed_download_that_fails_names_the_file_and_the_key(tmp_path, monkeypatch):
    from mmagic.registry import MODELS
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))  # an empty hub cache
    url = 'http://127.0.0.1:9/spynet_20210409-c6c1bd09.pth'  # the discard port: refused at once
    cfg = dict(type='BasicVSRNet', mid_channels=4, num_blocks=1, spynet_pretrained=url)
    with pytest.raises(WeightsDownloadError) as err, explain_downloads(cfg, prefix='model.generator'):
        MODELS.build(cfg)
    msg = str(err.value)
    assert '\n' not in msg and msg.startswith('cannot download spynet_20210409-c6c1bd09.pth (http://127.0.0.1:9/')
    assert '--cfg-options model.generator.spynet_pretrained=/path/to/spynet_20210409-c6c1bd09.pth' in msg


OFFLINE_BUILD = r'''
import json, socket, sys, glob
def refuse(*args, **kwargs):
    raise OSError('network disabled by the test')
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
# the initial values do not matter (a checkpoint replaces them): skip the costly truncated-normal draws
import mmengine.model.weight_init as weight_init
weight_init._no_grad_trunc_normal_ = lambda tensor, *args, **kwargs: tensor
import iart_mm  # noqa: F401
from mmengine import Config
from mmengine.registry import DefaultScope
from mmagic.registry import MODELS
from iart_mm.apis.checkpoint_model import model_for_checkpoint
from iart_mm.checkpoint import WeightsDownloadError, explain_downloads
DefaultScope.get_instance('offline_test', scope_name='mmagic')
out = {}
for path in sys.argv[1:]:
    cfg = Config.fromfile(path)
    if cfg.get('model') is None:
        continue
    try:  # as tools/test.py builds it when a checkpoint is given
        model = MODELS.build(model_for_checkpoint(cfg.model, {}, 'ckpt.pth'))
        out[path] = type(model).__name__
    except Exception as exc:
        out[path] = f'FAILED {type(exc).__name__}: {exc}'
# and the guard works: the IART recipe without a checkpoint needs SPyNet's weights from the network
cfg = Config.fromfile([p for p in sys.argv[1:] if '/iart/' in p][0])
try:
    with explain_downloads(cfg.model):
        MODELS.build(cfg.model)
    out['guard'] = 'built without network'
except WeightsDownloadError as exc:
    out['guard'] = str(exc)
print(json.dumps(out))
'''


@pytest.mark.slow
def test_every_config_builds_offline_with_a_checkpoint(tmp_path):
    configs = sorted(str(p) for p in (REPO_DIR / 'configs').rglob('*.py'))
    with_model = [p for p in configs if Config.fromfile(p).get('model') is not None]
    ia = [p for p in with_model if '/_base_/' not in p]
    assert len(ia) >= 16
    env = dict(os.environ, TORCH_HOME=str(tmp_path))  # an empty hub cache: nothing can come from a download
    proc = subprocess.run([sys.executable, '-c', OFFLINE_BUILD, *with_model], capture_output=True, text=True,
                          cwd=REPO_DIR, env=env, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    built = json.loads(proc.stdout.strip().splitlines()[-1])
    guard = built.pop('guard')
    failed = {p: r for p, r in built.items() if r.startswith('FAILED')}
    assert not failed, failed
    assert set(built) == set(with_model)
    assert guard.startswith('cannot download spynet_') and 'model.generator.spynet_pretrained' in guard, guard

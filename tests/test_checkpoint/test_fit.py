"""The strict fit check: one line that lists the keys and says what the checkpoint likely is."""
import pytest
import torch

from iart_mm.checkpoint import CheckpointMismatchError, check_fits
from iart_mm.checkpoint.describe import vsr_model_config

TARGET = {'generator.conv.weight': torch.zeros(8, 3, 3, 3), 'generator.conv.bias': torch.zeros(8),
          'step_counter': torch.zeros(1)}


def fit(state_dict, checkpoint=None):
    check_fits(TARGET, state_dict, 'checkpoint c.pth', "the config's model", checkpoint=checkpoint)


def test_exact_fit_and_optional_step_counter():
    fit(dict(TARGET))
    fit({k: v for k, v in TARGET.items() if k != 'step_counter'})  # MMagic's wrapper buffer may be absent


def test_another_model():
    sd = {'generator.fc.weight': torch.zeros(2)}
    ckpt = dict(meta=dict(model=vsr_model_config(dict(type='BasicVSRNet', mid_channels=4))), state_dict=sd)
    with pytest.raises(CheckpointMismatchError) as err:
        fit(sd, ckpt)
    msg = str(err.value)
    assert '\n' not in msg
    assert msg.startswith("checkpoint c.pth does not fit the config's model: a checkpoint of another model "
                          '(it holds BasicVSRNet (mid_channels=4))')
    assert 'unexpected keys (1): generator.fc.weight' in msg
    assert 'missing keys (2): generator.conv.bias, generator.conv.weight' in msg


def test_other_width():
    sd = {'generator.conv.weight': torch.zeros(16, 3, 3, 3), 'generator.conv.bias': torch.zeros(16)}
    with pytest.raises(CheckpointMismatchError, match='the same network with other sizes; shape mismatches '
                       r'\(2\): generator.conv.bias \(16,\) vs \(8,\)'):
        fit(sd)


def test_unconverted_release():
    params = {'backward_trunk.main.0.weight': torch.zeros(1), 'upconv1.weight': torch.zeros(1)}
    with pytest.raises(CheckpointMismatchError, match='unconverted released basicvsr checkpoint: convert it with '
                       'tools/convert_official_ckpt.py'):
        fit(params, dict(params=params))

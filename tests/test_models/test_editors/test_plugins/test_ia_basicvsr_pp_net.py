"""IABasicVSRPlusPlusNet: 'complement' equals BasicVSR++ under a flow_warp aligner and loads its checkpoints;
'replace' drops the deformable alignment; every aligner plugs in."""
import pytest
import torch
from mmagic.models.editors.basicvsr_plusplus_net.basicvsr_plusplus_net import BasicVSRPlusPlusNet
from mmagic.registry import MODELS

from iart_mm.models.editors.plugins import IABasicVSRPlusPlusNet

TINY = dict(mid_channels=8, num_blocks=1)


def test_complement_mode_with_flow_warp_equals_basicvsr_pp(reference_aligner):
    base = BasicVSRPlusPlusNet(**TINY).eval()
    # non-zero offsets so the deformable conv really depends on the conditions the aligner supplies
    for dcn in base.deform_align.values():
        torch.nn.init.normal_(dcn.conv_offset[-1].weight, std=0.01)
    net = IABasicVSRPlusPlusNet(**TINY, aligner=dict(type=reference_aligner)).eval()
    result = net.load_state_dict(base.state_dict(), strict=True)  # reference aligner has no keys
    assert not result.missing_keys and not result.unexpected_keys
    lq = torch.rand(1, 3, 3, 64, 64)  # 3 frames: the second-order branch is exercised
    with torch.no_grad():
        torch.testing.assert_close(net(lq), base(lq), rtol=0, atol=1e-6)


def test_basicvsr_pp_checkpoint_leaves_only_aligner_keys_new():
    if MODELS.get('ImplicitWarp') is None:
        pytest.skip('ImplicitWarp is not registered yet')
    base = BasicVSRPlusPlusNet(**TINY)
    net = IABasicVSRPlusPlusNet(**TINY, aligner=dict(type='ImplicitWarp', num_heads=2))
    result = net.load_state_dict(base.state_dict(), strict=False)
    assert result.unexpected_keys == []
    assert result.missing_keys and all(k.startswith('aligner.') for k in result.missing_keys)


@pytest.mark.parametrize('aligner', [
    dict(type='ImplicitWarp', num_heads=2),
    dict(type='PatchAlign'),
])
def test_replace_mode_trains_without_deformable_alignment(aligner):
    if MODELS.get(aligner['type']) is None:
        pytest.skip(f'{aligner["type"]} is not registered yet')
    net = IABasicVSRPlusPlusNet(**TINY, aligner=aligner, align_mode='replace')
    assert not any(k.startswith('deform_align.') for k in net.state_dict())
    net.spynet.requires_grad_(False)
    out = net(torch.rand(1, 3, 3, 64, 64))
    assert out.shape == (1, 3, 3, 256, 256)
    out.mean().backward()
    assert net.align_fusion['forward_2'].weight.grad is not None
    assert all(p.grad is not None for p in net.aligner.parameters())


def test_unknown_mode_is_rejected():
    with pytest.raises(ValueError, match='align_mode'):
        IABasicVSRPlusPlusNet(**TINY, align_mode='both')

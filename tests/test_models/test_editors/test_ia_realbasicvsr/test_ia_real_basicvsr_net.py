"""IARealBasicVSRNet: cleaning + IABasicVSRNet; equals RealBasicVSRNet under a flow_warp aligner."""
import pytest
import torch
from mmagic.models.editors.real_basicvsr.real_basicvsr_net import RealBasicVSRNet
from mmagic.registry import MODELS

from iart_mm.models.editors.ia_realbasicvsr import IARealBasicVSRNet

TINY = dict(mid_channels=8, num_propagation_blocks=1, num_cleaning_blocks=1)


def test_flow_warp_aligner_reproduces_real_basicvsr(reference_aligner):
    base = RealBasicVSRNet(**TINY, dynamic_refine_thres=0).eval()  # 0: the cleaning loop runs 3 times
    net = IARealBasicVSRNet(**TINY, dynamic_refine_thres=0, aligner=dict(type=reference_aligner)).eval()
    result = net.load_state_dict(base.state_dict(), strict=False)
    assert result.unexpected_keys == []
    assert sorted(result.missing_keys) == ['basicvsr.feat_query.conv.bias', 'basicvsr.feat_query.conv.weight']
    lq = torch.rand(1, 2, 3, 64, 64)
    with torch.no_grad():
        out, cleaned = net(lq.clone(), return_lqs=True)
        base_out, base_cleaned = base(lq.clone(), return_lqs=True)
    torch.testing.assert_close(out, base_out, rtol=0, atol=1e-6)
    torch.testing.assert_close(cleaned, base_cleaned, rtol=0, atol=1e-6)


def test_spynet_frozen_aligner_trains():
    if MODELS.get('ImplicitWarp') is None:
        pytest.skip('ImplicitWarp is not registered yet')
    net = IARealBasicVSRNet(**TINY, aligner=dict(type='ImplicitWarp', num_heads=2))
    assert not any(p.requires_grad for p in net.basicvsr.spynet.parameters())
    out = net(torch.rand(1, 2, 3, 64, 64))
    assert out.shape == (1, 2, 3, 256, 256)
    out.mean().backward()
    assert all(p.grad is not None for p in net.basicvsr.aligner.parameters())
    assert net.image_cleaning[0].main[0].weight.grad is not None

"""IAIconVSRNet: equals IconVSR under a flow_warp aligner and loads its checkpoints (training with ImplicitWarp:
tests/test_configs, configs/plugins/ia-iconvsr_2xb4_reds4.py)."""
import pytest
import torch
from mmagic.models.editors.iconvsr.iconvsr_net import IconVSRNet

from iart_mm.models.editors.plugins import IAIconVSRNet

# IconVSR's EDVR refill features are always 64 channels, so mid_channels stays 64; keyframes 0 and 5
TINY = dict(mid_channels=64, num_blocks=1, keyframe_stride=5, padding=2)


def mirrored_clip(size=(66, 64)):
    # IconVSR's refill pads with frames 3 and 4, so a clip needs 5+ frames; a mirror-extended clip of 6
    # computes only the 5 backward flows and exercises the flows_backward.flip(1) path
    half = torch.rand(1, 3, 3, *size)
    return torch.cat([half, half.flip(1)], dim=1)


@pytest.mark.slow
def test_flow_warp_aligner_reproduces_iconvsr(reference_aligner):
    base = IconVSRNet(**TINY).eval()
    net = IAIconVSRNet(**TINY, aligner=dict(type=reference_aligner)).eval()
    result = net.load_state_dict(base.state_dict(), strict=False)
    assert result.unexpected_keys == []
    assert sorted(result.missing_keys) == ['feat_query.conv.bias', 'feat_query.conv.weight']
    lq = mirrored_clip()  # 66 rows: not a multiple of 4, so IconVSR's padding and final crop are exercised
    with torch.no_grad():
        out = net(lq)
        torch.testing.assert_close(out, base(lq), rtol=0, atol=1e-6)
    assert out.shape == (1, 6, 3, 264, 256)


"""Every aligner behind the one contract: registry build, shapes, baseline semantics, learning, bad args."""
import pytest
import torch
import torch.nn.functional as F
from mmagic.models.utils import flow_warp
from mmagic.registry import MODELS
from torch import nn

from iart_mm.models.aligners import FlowGuidedDeformAttention, PatchAlign

DIM = 12
ALIGNERS = [
    dict(type='NoAlign'),
    dict(type='FlowWarp', mode='nearest'),
    dict(type='FlowWarp', mode='bilinear'),
    dict(type='FlowWarp', mode='bicubic'),
    dict(type='PatchAlign'),
    dict(type='FlowGuidedDeformAlign', dim=DIM),
    dict(type='FlowGuidedDeformAttention', dim=DIM, num_heads=4, offset_channels=16, mlp_ratio=1),
    dict(type='ImplicitWarp', dim=DIM, num_heads=3),
]


def _name(cfg):
    return cfg['type'] + ('-' + cfg['mode'] if 'mode' in cfg else '')


@pytest.mark.parametrize('cfg', ALIGNERS, ids=_name)
def test_output_shape_and_dtype(cfg):
    aligner = MODELS.build(cfg)
    feat_n, feat_c = torch.randn(2, DIM, 7, 10), torch.randn(2, DIM, 7, 10)
    flow = torch.randn(2, 2, 7, 10) * 3
    out = aligner(feat_n, feat_c, flow)
    assert out.shape == (2, DIM, 7, 10) and out.dtype == torch.float32
    assert torch.isfinite(out).all()


@pytest.mark.parametrize('mode', ['nearest', 'bilinear', 'bicubic'])
def test_flow_warp_is_mmagic_flow_warp(mode):
    feat, flow = torch.randn(1, 3, 6, 8), torch.randn(1, 2, 6, 8) * 2
    out = MODELS.build(dict(type='FlowWarp', mode=mode))(feat, feat, flow)
    assert torch.equal(out, flow_warp(feat, flow.permute(0, 2, 3, 1), interpolation=mode))
    # integer flow: a pure shift, with zeros where the source leaves the frame
    shifted = MODELS.build(dict(type='FlowWarp', mode=mode))(feat, feat, torch.ones(1, 2, 6, 8))
    assert torch.allclose(shifted[..., :-1, :-1], feat[..., 1:, 1:], atol=1e-5)
    assert shifted[..., -1, :].abs().max() < 1e-6


def test_patch_align_uses_patch_mean_flow():
    feat = torch.randn(1, 3, 16, 16)
    flow = torch.zeros(1, 2, 16, 16)
    flow[:, :, :8, :8] = 1.0  # top-left patch mean (1, 1)
    flow[:, 0, 8:, 8:] = torch.tensor([0.0, 4.0]).repeat(8, 4)  # bottom-right patch mean dx = 2
    out = PatchAlign()(feat, feat, flow)
    assert torch.equal(out[..., :7, :7], feat[..., 1:8, 1:8])
    assert torch.equal(out[..., 8:, 8:14], feat[..., 8:, 10:16])
    assert torch.equal(out[..., :8, 8:], feat[..., :8, 8:])  # zero-flow patch untouched
    # sizes that are not multiples of 8, including frames smaller than one patch
    for h, w in ((13, 9), (3, 5)):
        assert PatchAlign()(torch.randn(1, 2, h, w), torch.randn(1, 2, h, w), torch.randn(1, 2, h, w)).shape == (
            1, 2, h, w)


def test_deformable_baselines_start_from_the_flow():
    """Zero-initialised residues: FGDC equals a modulated deform conv at the flow; FGDA's taps sit around it."""
    torch.manual_seed(0)
    feat_n, feat_c = torch.randn(1, DIM, 6, 7), torch.randn(1, DIM, 6, 7)
    flow = torch.randn(1, 2, 6, 7)
    fgdc = MODELS.build(dict(type='FlowGuidedDeformAlign', dim=DIM))
    with torch.no_grad():
        out = fgdc(feat_n, feat_c, flow)
        offset = flow.flip(1).repeat(1, 9 * fgdc.deform_groups, 1, 1)
        mask = torch.full((1, 9 * fgdc.deform_groups, 6, 7), 0.5)
        from mmcv.ops import modulated_deform_conv2d
        expected = modulated_deform_conv2d(feat_n, offset, mask, fgdc.weight, fgdc.bias, 1, 1, 1, 1,
                                           fgdc.deform_groups)
    assert torch.allclose(out, expected, atol=1e-5)
    fgda = FlowGuidedDeformAttention(DIM, num_heads=4)
    grid = fgda._sampling_grid(flow.flip(1).repeat(1, 4 * 9, 1, 1), 6, 7)  # (n*G, h*w, 9, 2)
    centre = F.grid_sample(feat_n, grid[:1, :, 4:5].view(1, 6, 7, 2), align_corners=True)
    assert torch.allclose(centre, flow_warp(feat_n, flow.permute(0, 2, 3, 1)), atol=1e-5)


class ToyAligner(nn.Module):
    """encoder -> aligner -> decoder, so parameter-free aligners also sit in something that learns."""

    def __init__(self, cfg):
        super().__init__()
        self.encode = nn.Conv2d(3, DIM, 3, padding=1)
        self.align = MODELS.build(cfg)
        self.decode = nn.Conv2d(DIM, 3, 3, padding=1)

    def forward(self, neighbor, current, flow):
        return self.decode(self.align(self.encode(neighbor), self.encode(current), flow))


@pytest.mark.parametrize('cfg', ALIGNERS, ids=_name)
def test_learns_toy_alignment(cfg):
    """Neighbour = current shifted by a sub-pixel flow; the aligned neighbour should reproduce current."""
    torch.manual_seed(0)
    current = F.avg_pool2d(torch.rand(1, 3, 16, 16), 3, 1, 1)[..., 2:-2, 2:-2]  # smooth 12x12
    flow = torch.full((1, 2, 12, 12), 1.5)
    neighbor = flow_warp(current, -flow.permute(0, 2, 3, 1), padding_mode='border')  # neighbour(p+f) ~ cur(p)
    model = ToyAligner(cfg)
    optim = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(15):
        loss = F.mse_loss(model(neighbor, current, flow)[..., 2:-2, 2:-2], current[..., 2:-2, 2:-2])
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    own = [p for p in model.align.parameters()]
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in own), 'aligner weights get no gradient'


@pytest.mark.parametrize('cfg, message', [
    (dict(type='FlowWarp', mode='area'), 'FlowWarp: mode must be one of'),
    (dict(type='PatchAlign', patch_size=0), 'PatchAlign: patch_size must be a positive int'),
    (dict(type='FlowGuidedDeformAlign', dim=10, deform_groups=4), 'deform_groups=4 must divide dim=10'),
    (dict(type='FlowGuidedDeformAlign', dim=-1), 'dim must be a positive int'),
    (dict(type='FlowGuidedDeformAttention', dim=64, num_heads=12), 'num_heads=12 must divide proj_ratio'),
    (dict(type='FlowGuidedDeformAttention', dim=8, kernel_size=0), 'kernel_size must be a positive int'),
])
def test_bad_constructor_args(cfg, message):
    with pytest.raises(ValueError, match=message) as info:
        MODELS.build(cfg)
    assert '\n' not in str(info.value)


@pytest.mark.parametrize('cfg', ALIGNERS, ids=_name)
def test_bad_inputs_name_the_problem(cfg):
    aligner = MODELS.build(cfg)
    feat = torch.randn(1, DIM, 5, 6)
    with pytest.raises(ValueError, match='flow must be'):
        aligner(feat, feat, torch.zeros(1, 5, 6, 2))
    with pytest.raises(ValueError, match='must be equal'):
        aligner(feat, feat[..., :4, :], torch.zeros(1, 2, 5, 6))

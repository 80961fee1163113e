"""IAPSRTRecurrentNet: parity with the official release (fixture and literal re-implementation) on every
execution path, and the fixed release bugs on tiny nets."""
import pytest
import torch
from mmagic.registry import MODELS

from iart_mm.apis.official import init_from_official
from iart_mm.models.editors.iart import IAPSRTRecurrentNet, WindowSwinBackbone, fast_inference
from iart_mm.models.editors.iart import swin_backbone as swin_backbone_module
from iart_mm.ops import cpu_window_attention_enabled, cpu_window_attention_status
from tests.paths import REFERENCE_DIR, require_shared

# (fast inference, C++ op): the fast path with the op forced on and forced off, and the model as written
PATHS = {'fast-op': (True, True), 'fast-sdpa': (True, False), 'plain': (False, True)}


def tiny_net(**kwargs):
    cfg = dict(
        type='IAPSRTRecurrentNet',
        mid_channels=8,
        embed_dim=8,
        depths=(2, ),
        num_heads=(2, ),
        window_size=(3, 8, 8),
        drop_path_rate=0.,
        aligner=dict(type='ImplicitWarp', dim=8, num_heads=2))
    cfg.update(kwargs)
    return MODELS.build(cfg)


@pytest.fixture(scope='module')
def official_outputs():
    """The small released model's output on the fixture's clip along each of ``PATHS``."""
    state = require_shared(REFERENCE_DIR / 'iart_small_official_state.pth')
    io = torch.load(require_shared(REFERENCE_DIR / 'iart_small_io.pth'), weights_only=True)
    model = init_from_official(state)
    assert isinstance(model, IAPSRTRecurrentNet) and not model.training
    outputs = {}
    for name, (fast, op) in PATHS.items():
        with torch.no_grad(), fast_inference(fast), cpu_window_attention_enabled(op):
            outputs[name] = model(io['lq'], return_flows=True)
    return io, outputs


@pytest.mark.parametrize('path', list(PATHS))
def test_official_fixture_parity(path, official_outputs):
    """The released small model reproduces the official output and SPyNet flows (fp32 CPU, eval), on each path."""
    io, outputs = official_outputs
    if path == 'fast-op' and not cpu_window_attention_status()[0]:
        pytest.skip(f'C++ op not usable here: {cpu_window_attention_status()[1]}')
    out, (flows_forward, flows_backward) = outputs[path]
    assert out.shape == io['output'].shape == (1, 5, 3, 256, 256)
    assert (out - io['output']).abs().max().item() <= 1e-4
    assert (flows_forward - io['flows_forward']).abs().max().item() <= 1e-5
    assert (flows_backward - io['flows_backward']).abs().max().item() <= 1e-5
    assert (out - outputs['plain'][0]).abs().max().item() <= 1e-5  # fast path == the model as written


def test_equals_literal_release(official_outputs):
    """The model as written equals the literal re-implementation of the released forward (float rounding: MMagic's
    SPyNet against BasicSR's, fused against unfused attention)."""
    from tests.reference.release_iart import release_from_official
    io, outputs = official_outputs
    official = torch.load(REFERENCE_DIR / 'iart_small_official_state.pth', weights_only=True)
    config = official['config']
    release = release_from_official(official['params'], {k: config[k] for k in ('mid_channels', 'embed_dim', 'depths',
                                                                    'num_heads', 'window_size')})
    with torch.no_grad():
        expected = release(io['lq'])
    assert (expected - io['output']).abs().max().item() <= 1e-4
    assert (outputs['plain'][0] - expected).abs().max().item() <= 1e-5


def test_shapes_and_window_as_tuple_or_list():
    net = tiny_net(window_size=(3, 8, 8)).eval()
    listed = tiny_net(window_size=[3, 8, 8])
    assert listed.state_dict().keys() == net.state_dict().keys()
    with torch.no_grad():
        out = net(torch.rand(1, 2, 3, 64, 72))
    assert out.shape == (1, 2, 3, 256, 288)
    assert torch.isfinite(out).all()


def test_default_aligner_is_implicit_warp_and_others_plug_in():
    net = tiny_net(aligner=None)
    assert type(net.aligner).__name__ == 'ImplicitWarp'
    assert net.aligner.q.weight.shape == (8, 8)
    net = tiny_net(aligner=dict(type='FlowWarp')).eval()
    with torch.no_grad():
        assert net(torch.rand(1, 2, 3, 64, 64)).shape == (1, 2, 3, 256, 256)


@pytest.mark.parametrize('size', [(63, 64), (64, 40)])
def test_min_lr_size(size):
    net = tiny_net().eval()
    with pytest.raises(ValueError, match='at least 64x64') as err:
        net(torch.rand(1, 2, 3, *size))
    assert '\n' not in str(err.value)


def test_num_frames_other_than_three_rejected():
    with pytest.raises(ValueError, match='num_frames must be 3'):
        tiny_net(num_frames=5)


def test_mirror_flag_not_sticky():
    """A mirror-extended clip must not make later normal clips reuse flipped backward flows (release bug)."""
    net = tiny_net().eval()
    frame = torch.rand(1, 1, 3, 64, 64)
    mirrored = torch.cat([frame, frame], dim=1)  # t = 2: the second half is the reversed first half
    normal = torch.rand(1, 2, 3, 64, 64)
    with torch.no_grad():
        _, (ff_m, fb_m) = net(mirrored, return_flows=True)
        _, (ff_n, fb_n) = net(normal, return_flows=True)
        expected_ff = net.spynet(normal[:, 1], normal[:, 0]).unsqueeze(1)
    assert torch.equal(ff_m, fb_m.flip(1))
    assert torch.allclose(ff_n, expected_ff, atol=1e-6)
    assert not torch.allclose(ff_n, fb_n.flip(1), atol=1e-3)


@pytest.mark.parametrize('mirror', [False, True])
def test_cpu_cache_matches_normal_path(mirror):
    """The CPU feature cache (t > cpu_cache_length) gives the same numbers and needs no GPU."""
    frames = torch.rand(1, 3, 3, 64, 64)
    lq = torch.cat([frames[:, :1], frames[:, :1]], 1) if mirror else frames  # mirror: t = 2, no forward flows
    net = tiny_net(cpu_cache_length=100).eval()
    with torch.no_grad():
        ref = net(lq)
        net.cpu_cache_length = 1
        out = net(lq)
    assert torch.allclose(ref, out, atol=1e-6, rtol=0)


def test_relative_position_index_is_one_shared_constant():
    """All blocks hold the same (N, N) index tensor (not one copy each); a strict load keeps it right."""
    from iart_mm.models.editors.iart.windows import relative_position_index
    net = tiny_net(depths=(2, 2), num_heads=(2, 2))
    state = net.state_dict()
    keys = [k for k in state if k.endswith('relative_position_index')]
    assert len(keys) == 4 * 4
    assert len({state[k].data_ptr() for k in keys}) == 1
    other = tiny_net(depths=(2, 2), num_heads=(2, 2))
    other.load_state_dict(state, strict=True)
    assert torch.equal(other.state_dict()[keys[0]], relative_position_index((3, 8, 8)))


@pytest.fixture
def checkpoint_calls(monkeypatch):
    """Records ``use_reentrant`` of every ``torch.utils.checkpoint.checkpoint`` call made by the backbone."""
    calls = []
    real = swin_backbone_module.cp.checkpoint

    def spy(fn, *args, **kwargs):
        calls.append(kwargs.get('use_reentrant'))
        return real(fn, *args, **kwargs)

    monkeypatch.setattr(swin_backbone_module.cp, 'checkpoint', spy)
    return calls


def test_checkpointing_gives_the_same_gradients(checkpoint_calls):
    """Per-block non-reentrant checkpointing recomputes the plain graph: same output and gradients."""
    cond = torch.randn(2, 3, 8, 16, 24)  # 16x24 exercises padding (w) and the shifted-window mask
    grads = []
    ref = WindowSwinBackbone(8, (2, 2), (2, 4), (3, 8, 8), drop_path_rate=0., use_checkpoint=False)
    for use_ckpt in (False, True):
        net = WindowSwinBackbone(8, (2, 2), (2, 4), (3, 8, 8), drop_path_rate=0., use_checkpoint=use_ckpt)
        net.load_state_dict(ref.state_dict())
        x = cond.clone().requires_grad_()
        net.train()(x).square().mean().backward()
        grads.append({'input': x.grad, **{k: p.grad for k, p in net.named_parameters()}})
    assert checkpoint_calls == [False] * 4
    for k in grads[0]:
        assert torch.allclose(grads[0][k], grads[1][k], atol=1e-6, rtol=1e-5), k


def test_checkpointing_only_in_training(checkpoint_calls):
    net = tiny_net(use_checkpoint=True)
    lq = torch.rand(1, 2, 3, 64, 64)
    with torch.no_grad():
        net.eval()(lq)
    assert checkpoint_calls == []
    net.train()(lq)
    assert checkpoint_calls == [False] * (4 * 2 * 2)  # branches x frames x blocks


def test_released_config_parameter_count():
    """Released config: 13,410,503 official parameters minus the 567,136 never-used per-branch convs."""
    net = IAPSRTRecurrentNet()
    assert sum(p.numel() for p in net.parameters()) == 13_410_503 - 567_136

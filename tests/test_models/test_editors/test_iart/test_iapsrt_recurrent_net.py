"""IAPSRTRecurrentNet: parity with the official release (fixture), and the fixed release bugs on tiny nets."""
import pytest
import torch
from mmagic.registry import MODELS

from iart_mm.apis.official import init_from_official
from iart_mm.models.editors.iart import IAPSRTRecurrentNet, WindowSwinBackbone
from iart_mm.models.editors.iart import swin_backbone as swin_backbone_module

from tests.paths import REFERENCE_DIR, require_shared


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


def test_official_fixture_parity():
    """The released small model reproduces the official output and SPyNet flows (fp32 CPU, eval)."""
    state = require_shared(REFERENCE_DIR / 'iart_small_official_state.pth')
    io = torch.load(require_shared(REFERENCE_DIR / 'iart_small_io.pth'), weights_only=True)
    model = init_from_official(state)
    assert isinstance(model, IAPSRTRecurrentNet) and not model.training
    with torch.no_grad():
        out, (flows_forward, flows_backward) = model(io['lq'], return_flows=True)
    assert out.shape == io['output'].shape == (1, 5, 3, 256, 256)
    assert (out - io['output']).abs().max().item() <= 1e-4
    assert (flows_forward - io['flows_forward']).abs().max().item() <= 1e-5
    assert (flows_backward - io['flows_backward']).abs().max().item() <= 1e-5


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


@pytest.mark.parametrize('tile_rows', [1, 2, 5, 12, 40])
def test_banded_upsampler_equals_whole_frames(tile_rows):
    """Inference bands of any height (halo included) give the whole-frame upsampler's numbers, odd sizes too."""
    torch.manual_seed(0)
    net = tiny_net().eval()
    lqs = torch.rand(2, 3, 3, 13, 9)
    feats = [torch.randn(2, 8, 13, 9) for _ in range(3)]
    with torch.enable_grad():  # the whole-frame path
        expected = torch.stack([net.reconstruct(f) + net.img_upsample(lqs[:, i]) for i, f in enumerate(feats)], 1)
        whole = net.upsample(lqs, feats, cache=False).detach()
    net.upsample_tile_rows = tile_rows
    with torch.no_grad():
        got = net.upsample(lqs, feats, cache=False)
        cached = net.upsample(lqs, feats, cache=True)
    assert got.shape == (2, 3, 3, 52, 36)
    assert (whole - expected.detach()).abs().max().item() <= 1e-6
    assert (got - expected.detach()).abs().max().item() <= 1e-5
    assert torch.equal(cached, got)


def test_upsampler_halo_is_needed():
    """With one row less of halo the bands differ from whole frames: the halo is the receptive field."""
    from iart_mm.models.editors.iart import iapsrt_recurrent_net as net_module
    torch.manual_seed(0)
    net = tiny_net(upsample_tile_rows=4).eval()
    lqs = torch.rand(1, 2, 3, 16, 8)
    feats = [torch.randn(1, 8, 16, 8) for _ in range(2)]
    with torch.no_grad():
        good = net.upsample(lqs, feats, cache=False)
        net.upsample_tile_rows = 16
        whole = net.upsample(lqs, feats, cache=False)
        net.upsample_tile_rows = 4
        halo = net_module.UPSAMPLE_HALO
        net_module.UPSAMPLE_HALO = halo - 1
        try:
            short = net.upsample(lqs, feats, cache=False)
        finally:
            net_module.UPSAMPLE_HALO = halo
    assert (good - whole).abs().max().item() <= 1e-5
    assert (short - whole).abs().max().item() > 1e-3


def test_relative_position_index_is_one_shared_constant():
    """All blocks hold the same (N, N) index tensor (not one copy each); a strict load keeps it right."""
    from iart_mm.models.editors.iart.window_attention import relative_position_index
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


def _identity_compile(calls):
    """A stand-in for ``torch.compile`` that runs the function as it is and counts the calls."""
    def compile(fn, **kwargs):
        def run(*args):
            calls.append(args[1]['layers.0.conv.weight'].data_ptr())  # which branch's weights came in
            return fn(*args)
        return run
    return compile


def test_compiled_backbone_only_in_inference_with_each_branch_weights(monkeypatch):
    """compile_backbone routes eval/no-grad steps through the compiled function, each with its own branch's
    weights (the result is the eager one), and leaves training and grad-enabled calls eager."""
    calls = []
    monkeypatch.setattr(torch, 'compile', _identity_compile(calls))
    net = tiny_net(compile_backbone=True).eval()
    eager = tiny_net().eval()
    eager.load_state_dict(net.state_dict())
    lq = torch.rand(1, 3, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(net(lq), eager(lq))
    branch_ptrs = [net.swin_backbone[b].layers[0].conv.weight.data_ptr() for b in net.swin_backbone]
    assert calls == [p for p in branch_ptrs for _ in range(3)]  # branches x frames, in propagation order
    calls.clear()
    net(lq)  # grad enabled
    net.train()
    with torch.no_grad():
        net(lq)
    assert calls == []


def test_compile_failure_falls_back_to_same_numbers(monkeypatch):
    """A backend that fails warns once and the network runs eager from then on, with the eager numbers."""
    attempts = []

    def broken_compile(fn, **kwargs):
        def run(*args):
            attempts.append(1)
            raise RuntimeError('backend failed\nsecond line')
        return run

    monkeypatch.setattr(torch, 'compile', broken_compile)
    net = tiny_net(compile_backbone=True).eval()
    eager = tiny_net().eval()
    eager.load_state_dict(net.state_dict())
    lq = torch.rand(1, 2, 3, 64, 64)
    with torch.no_grad(), pytest.warns(RuntimeWarning, match=r'IAPSRTRecurrentNet backbone: torch.compile failed '
                                                               r'\(RuntimeError: backend failed\)'):
        assert torch.equal(net(lq), eager(lq))
    assert attempts == [1] and net._compiled_backbone is None


@pytest.mark.slow
def test_compiled_backbone_matches_eager():
    """A real torch.compile (inductor): the eager numbers, and one graph for the four branches.

    64x68 pads w to the window; the two blocks are one plain and one shifted.
    """
    import torch._dynamo
    from torch._dynamo.utils import counters
    torch._dynamo.reset()
    counters.clear()
    net = tiny_net(compile_backbone=True).eval()
    with torch.no_grad():
        for p in net.parameters():  # non-trivial bias tables and norms
            p.add_(torch.randn_like(p) * 0.05)
    eager = tiny_net().eval()
    eager.load_state_dict(net.state_dict())
    lq = torch.rand(1, 3, 3, 64, 68)
    with torch.no_grad():
        out = net(lq)
        assert net._compiled_backbone is not None, 'the compiled path failed'
        assert (out - eager(lq)).abs().max().item() <= 1e-5
    assert counters['stats']['unique_graphs'] == 1

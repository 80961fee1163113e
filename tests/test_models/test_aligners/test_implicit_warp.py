"""ImplicitWarp: exactness against the released module (fixture and literal reference), gradients, dtypes."""
import pytest
import torch
from mmagic.registry import MODELS

from iart_mm.models.aligners import ImplicitWarp
from tests.reference.release_ia import ReferenceImplicitWarp, reference_from_fixture


def _pair(dim=16, num_heads=4, seed=0, **kwargs):
    """An ImplicitWarp and the literal reference with the same (random, non-trivial) weights."""
    torch.manual_seed(seed)
    ref_kwargs = dict(pe_dim=kwargs.get('pe_dim') or dim, pe_temp=kwargs.get('pe_temp', 0.01),
                      window_size=kwargs.get('window_size', 2), pe_wrp=kwargs.get('pe_keys', True),
                      pe_x=kwargs.get('pe_queries', True), zero_padding_bug=False,
                      warp_padding='zero' if kwargs.get('padding') == 'zeros' else 'duplicate')
    ref = ReferenceImplicitWarp(dim, num_heads=num_heads, **ref_kwargs)
    for lin in (ref.q, ref.k, ref.v):
        torch.nn.init.normal_(lin.weight, std=ref.pe_dim**-0.5)
        torch.nn.init.normal_(lin.bias, std=0.1)
    ref.position_bias.normal_()
    ours = ImplicitWarp(dim, num_heads, **kwargs)
    ours.load_state_dict(ref.state_dict())
    return ours, ref


def _inputs(n, c, h, w, flow, dtype=torch.float32):
    return torch.randn(n, c, h, w, dtype=dtype), torch.randn(n, c, h, w, dtype=dtype), flow.to(dtype)


def _flow(kind, n, h, w):
    if kind == 'zero':
        return torch.zeros(n, 2, h, w)
    if kind == 'integer':
        return torch.randint(-3, 4, (n, 2, h, w)).float()
    if kind == 'leaving':  # most windows partly or fully outside the frame
        return torch.randn(n, 2, h, w) * 2 * max(h, w)
    return torch.randn(n, 2, h, w) * 2.5  # fractional


def test_registered_and_loads_release_state_dict(ia_fixture):
    model = MODELS.build(dict(type='ImplicitWarp', dim=120, num_heads=6))
    assert list(model.state_dict()) == list(ia_fixture['state_dict'])
    model.load_state_dict(ia_fixture['state_dict'])  # strict, as is


def test_matches_fixture(ia_fixture):
    model = ImplicitWarp(dim=120, num_heads=6)
    model.load_state_dict(ia_fixture['state_dict'])
    inputs = ia_fixture['inputs']
    with torch.no_grad():
        out = model(inputs['feat_neighbor'], inputs['feat_current'], inputs['flow'])
    assert (out - ia_fixture['output']).abs().max() <= 1e-5
    # the constructor builds the release's key PE and window offsets
    fresh = ImplicitWarp(dim=120, num_heads=6)
    assert torch.equal(fresh.position_bias, ia_fixture['position_bias_formula'])
    assert torch.equal(fresh.window_idx_offset, ia_fixture['state_dict']['window_idx_offset'])
    # wrong flow conventions would be caught (swapped dx/dy differs by 6.3 on the fixture)
    with torch.no_grad():
        swapped = model(inputs['feat_neighbor'], inputs['feat_current'], inputs['flow'].flip(1))
    assert (swapped - ia_fixture['output']).abs().max() > 1.0


def test_reference_reproduces_fixture_zero_mode(ia_fixture):
    """The oracle used below is itself checked against the release, including its 'zero' mode bug."""
    inputs = ia_fixture['inputs']
    with torch.no_grad():
        ref = reference_from_fixture(ia_fixture)
        assert torch.equal(ref(inputs['feat_neighbor'], inputs['feat_current'], inputs['flow_nhwc']),
                           ia_fixture['output'])
        ref_zero = reference_from_fixture(ia_fixture, warp_padding='zero')
        assert torch.equal(ref_zero(inputs['feat_neighbor'], inputs['feat_current'], inputs['flow_nhwc']),
                           ia_fixture['output_zero_padding'])


@pytest.mark.parametrize('size', [(1, 7, 9), (2, 5, 13), (1, 1, 6), (1, 11, 4)])
@pytest.mark.parametrize('kind', ['fractional', 'leaving', 'zero', 'integer'])
def test_matches_reference_random_sizes(size, kind):
    n, h, w = size
    ours, ref = _pair(dim=12, num_heads=3, seed=h * w)
    feat_n, feat_c, flow = _inputs(n, 12, h, w, _flow(kind, n, h, w))
    with torch.no_grad():
        expected = ref(feat_n, feat_c, flow.permute(0, 2, 3, 1))
        out = ours(feat_n, feat_c, flow)
    assert out.shape == (n, 12, h, w)
    assert (out - expected).abs().max() <= 1e-5


@pytest.mark.parametrize('kwargs', [
    dict(window_size=3), dict(window_size=4), dict(pe_keys=False), dict(pe_queries=False),
    dict(pe_keys=False, pe_queries=False), dict(pe_dim=32), dict(pe_temp=10000.0), dict(padding='zeros'),
    dict(padding='zeros', window_size=3)
])
def test_options_match_reference(kwargs):
    ours, ref = _pair(dim=16, num_heads=4, **kwargs)
    feat_n, feat_c, flow = _inputs(2, 16, 6, 7, _flow('fractional', 2, 6, 7) * 1.5)
    with torch.no_grad():
        expected = ref(feat_n, feat_c, flow.permute(0, 2, 3, 1))
        out = ours(feat_n, feat_c, flow)
    assert (out - expected).abs().max() <= 1e-5


def test_centered_window_placement():
    official, _ = _pair(window_size=2)
    centered = ImplicitWarp(16, 4, window_size=2, window_placement='centered')
    centered.load_state_dict(official.state_dict())
    feat_n, feat_c, flow = _inputs(1, 16, 5, 6, _flow('fractional', 1, 5, 6))
    with torch.no_grad():  # for ws=2 the centred window is the official one
        assert torch.equal(centered(feat_n, feat_c, flow), official(feat_n, feat_c, flow))
    # ws=3: an interior pixel with zero flow reads rows/cols p-1 .. p+1; 'official' reads p .. p+2
    idx_c, _, off_c = ImplicitWarp(16, 4, window_size=3, window_placement='centered')._window_index(
        torch.zeros(1, 2, 5, 6), 1, 5, 6)
    idx_o, _, off_o = ImplicitWarp(16, 4, window_size=3)._window_index(torch.zeros(1, 2, 5, 6), 1, 5, 6)
    pixel = 2 * 6 + 3
    assert idx_c[pixel].tolist() == [r * 6 + c for r in (1, 2, 3) for c in (2, 3, 4)]
    assert idx_o[pixel].tolist() == [r * 6 + c for r in (2, 3, 4) for c in (3, 4, 5)]
    assert off_c[pixel].tolist() == [1.0, 1.0] and off_o[pixel].tolist() == [0.0, 0.0]


@pytest.mark.parametrize('padding', ['duplicate', 'zeros'])
def test_gradcheck_float64(padding):
    """Analytic gradients of the lean backward, including the flow gradient through the query PE."""
    ours, _ = _pair(dim=4, num_heads=2, padding=padding)
    ours = ours.double()
    torch.manual_seed(1)
    feat_n = torch.randn(1, 4, 3, 4, dtype=torch.float64, requires_grad=True)
    feat_c = torch.randn(1, 4, 3, 4, dtype=torch.float64, requires_grad=True)
    # fractional parts in [0.2, 0.8] keep finite differences away from the floor's jumps; some leave the frame
    flow = (torch.randint(-3, 3, (1, 2, 3, 4)) + 0.2 + 0.6 * torch.rand(1, 2, 3, 4)).double()
    flow.requires_grad_(True)
    assert torch.autograd.gradcheck(ours, (feat_n, feat_c, flow), eps=1e-6, atol=1e-7, fast_mode=True)
    _, flow_grad = torch.autograd.grad(ours(feat_n, feat_c, flow).sum(), (feat_n, flow))
    assert flow_grad.abs().max() > 1e-3  # the query PE really carries a flow gradient


def test_gradients_match_reference_float64():
    ours, ref = _pair(dim=12, num_heads=3, window_size=3)
    ours, ref = ours.double(), ref.double()
    feat_n, feat_c, flow = _inputs(2, 12, 5, 7, _flow('fractional', 2, 5, 7), dtype=torch.float64)
    leaves = [t.requires_grad_() for t in (feat_n, feat_c, flow)]
    upstream = torch.randn(2, 12, 5, 7, dtype=torch.float64)
    grads = torch.autograd.grad(ours(*leaves), leaves + list(ours.parameters()), upstream)
    expected = torch.autograd.grad(ref(feat_n, feat_c, flow.permute(0, 2, 3, 1)),
                                   leaves + list(ref.parameters()), upstream)
    for got, want in zip(grads, expected):
        assert torch.allclose(got, want, atol=1e-10, rtol=1e-8)


def test_bf16_autocast_close_to_fp32_and_float32_coordinates():
    """Under autocast the features go bf16 but positions stay float32, even at x ~ 300 (bf16 step is 2 px)."""
    ours, _ = _pair(dim=16, num_heads=4)
    feat_n, feat_c, _ = _inputs(1, 16, 2, 300, torch.zeros(1))
    flow = torch.rand(1, 2, 2, 300) * 3 - 1.5
    with torch.no_grad():
        expected = ours(feat_n, feat_c, flow)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = ours(feat_n, feat_c, flow)
    assert out.dtype == torch.bfloat16
    err = (out.float() - expected).abs().max() / expected.abs().max()
    assert err < 3e-2
    # backward under autocast runs and reaches the flow
    flow.requires_grad_(True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = ours(feat_n, feat_c, flow)
    out.float().sum().backward()
    assert torch.isfinite(flow.grad).all() and ours.q.weight.grad is not None


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_half_features(dtype):
    ours, _ = _pair(dim=16, num_heads=4)
    feat_n, feat_c, flow = _inputs(1, 16, 5, 6, _flow('fractional', 1, 5, 6))
    with torch.no_grad():
        expected = ours(feat_n, feat_c, flow)
        # a float32 module accepts half features (the flow keeps float32 here: a half flow moves positions)
        out = ours(feat_n.to(dtype), feat_c.to(dtype), flow)
        assert out.dtype == dtype
        assert (out.float() - expected).abs().max() < 5e-2 * expected.abs().max()
        # and a module converted to the half dtype runs too
        out_half = ours.to(dtype)(feat_n.to(dtype), feat_c.to(dtype), flow.to(dtype))
        assert out_half.dtype == dtype and torch.isfinite(out_half.float()).all()


def test_compile_failure_falls_back_to_same_numbers(monkeypatch):
    """compile=True must never change results: a backend that fails at run time drops to the eager core.

    (A real torch.compile takes ~1.5 min on 2 CPU cores, so its parity is checked by
    ``tools/benchmarks/bench_aligners.py --check-compile`` instead of here.)
    """
    def broken_compile(fn, **kwargs):
        def run(*args):
            raise RuntimeError('backend failed')
        return run

    monkeypatch.setattr(torch, 'compile', broken_compile)
    ours, _ = _pair(dim=8, num_heads=2)
    fused = ImplicitWarp(8, 2, compile=True)
    fused.load_state_dict(ours.state_dict())
    feat_n, feat_c, flow = _inputs(1, 8, 4, 5, _flow('fractional', 1, 4, 5))
    with torch.no_grad(), pytest.warns(RuntimeWarning, match='ImplicitWarp: torch.compile failed'):
        assert torch.equal(fused(feat_n, feat_c, flow), ours(feat_n, feat_c, flow))
    assert fused._fused is None


@pytest.mark.slow
def test_compiled_inference_matches_reference(ia_fixture):
    """compile=True (the torch.compile-fused inference block) against the literal reference and the fixture.

    One compiled module covers both paddings' code (mask or not), a batch of 2, odd sizes, several blocks and a
    short last block; the fixture case is the released module at C=120.
    """
    for padding in ('duplicate', 'zeros'):
        ours, ref = _pair(dim=16, num_heads=4, padding=padding, compile=True, chunk=8)
        eager = ImplicitWarp(16, 4, padding=padding, chunk=8)
        eager.load_state_dict(ours.state_dict())
        with torch.no_grad():
            feat_n, feat_c, flow = _inputs(1, 16, 5, 7, _flow('leaving', 1, 5, 7))
            out = ours(feat_n, feat_c, flow)
            assert ours._fused is not None, 'the compiled path did not run'
            assert (out - ref(feat_n, feat_c, flow.permute(0, 2, 3, 1))).abs().max() <= 1e-5
            feat_n, feat_c, flow = _inputs(2, 16, 5, 7, _flow('fractional', 2, 5, 7))
            assert (ours(feat_n, feat_c, flow) - eager(feat_n, feat_c, flow)).abs().max() <= 1e-5
    model = ImplicitWarp(dim=120, num_heads=6, compile=True)
    model.load_state_dict(ia_fixture['state_dict'])
    inputs = ia_fixture['inputs']
    with torch.no_grad():
        out = model(inputs['feat_neighbor'], inputs['feat_current'], inputs['flow'])
    assert model._fused is not None
    assert (out - ia_fixture['output']).abs().max() <= 1e-5


@pytest.mark.parametrize('kwargs, message', [
    (dict(dim=120, num_heads=7), 'num_heads must be a positive divisor of dim=120'),
    (dict(dim=0, num_heads=1), 'dim must be a positive int'),
    (dict(dim=8, num_heads=2, window_size=1), 'window_size must be an int >= 2'),
    (dict(dim=8, num_heads=2, pe_dim=12), 'pe_dim must be a multiple of dim=8 and of 4'),
    (dict(dim=8, num_heads=2, pe_temp=0), 'pe_temp must be > 0'),
    (dict(dim=8, num_heads=2, window_placement='middle'), "window_placement must be one of"),
    (dict(dim=8, num_heads=2, padding='reflect'), "padding must be one of"),
])
def test_bad_constructor_args(kwargs, message):
    with pytest.raises(ValueError, match=message) as info:
        ImplicitWarp(**kwargs)
    assert '\n' not in str(info.value)


def test_bad_inputs():
    model = ImplicitWarp(8, 2)
    x = torch.randn(1, 8, 4, 5)
    with pytest.raises(ValueError, match='built for dim=8'):
        model(torch.randn(1, 6, 4, 5), torch.randn(1, 6, 4, 5), torch.zeros(1, 2, 4, 5))
    with pytest.raises(ValueError, match=r'flow must be \(n, 2, h, w\)'):
        model(x, x, torch.zeros(1, 4, 5, 2))

"""The blocked window-attention core: results independent of the block size, in inference and in training."""
import math

import pytest
import torch

from iart_mm.models.aligners import ImplicitWarp
from iart_mm.models.aligners.implicit_warp import sine_encoding, sine_encoding_channels_first
from iart_mm.models.aligners.window_attention import window_attention
from tests.reference.release_ia import sine_pe_points
from tests.test_models.test_aligners.test_implicit_warp import _flow, _inputs, _pair


@pytest.mark.parametrize('padding', ['duplicate', 'zeros'])
@pytest.mark.parametrize('chunk', [1, 5, 7, 64])
def test_block_size_does_not_change_outputs(chunk, padding):
    """Blocks that split rows, straddle nothing across batch elements, and end mid-image give the same numbers."""
    ours, ref = _pair(dim=12, num_heads=3, window_size=3, padding=padding)
    blocked = ImplicitWarp(12, 3, window_size=3, padding=padding, chunk=chunk)
    blocked.load_state_dict(ours.state_dict())
    feat_n, feat_c, flow = _inputs(2, 12, 5, 7, _flow('leaving', 2, 5, 7) * 0.2)
    with torch.no_grad():
        expected = ref(feat_n, feat_c, flow.permute(0, 2, 3, 1))
        out = blocked(feat_n, feat_c, flow)
    assert (out - expected).abs().max() <= 1e-5
    # training path (one (P, C) query tensor, saved attention) gives the same output
    assert (blocked(feat_n, feat_c, flow) - expected).abs().max() <= 1e-5


def test_block_size_does_not_change_gradients():
    small, _ = _pair(dim=8, num_heads=2, padding='zeros')
    big = ImplicitWarp(8, 2, padding='zeros', chunk=1000)
    small.chunk = 3
    big.load_state_dict(small.state_dict())
    small, big = small.double(), big.double()
    feat_n, feat_c, flow = _inputs(2, 8, 4, 5, _flow('fractional', 2, 4, 5), dtype=torch.float64)
    leaves = [t.requires_grad_() for t in (feat_n, feat_c, flow)]
    upstream = torch.randn(2, 8, 4, 5, dtype=torch.float64)
    got = torch.autograd.grad(small(*leaves), leaves + list(small.parameters()), upstream)
    want = torch.autograd.grad(big(*leaves), leaves + list(big.parameters()), upstream)
    for g, w in zip(got, want):
        assert torch.allclose(g, w, atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize('requires_grad', [False, True])
def test_sine_encoding_bit_exact_with_release_recipe(requires_grad):
    """Both paths (in place for inference, stacked for autograd) equal the release's PE bit for bit."""
    points = (torch.rand(37, 2) * 2 - 0.5).requires_grad_(requires_grad)
    ours = sine_encoding(points, 60, 0.01, 2 + 1e-6)
    assert torch.equal(ours.detach(), sine_pe_points(points.detach(), 60, 0.01, 2 + 1e-6))
    assert ours.requires_grad == requires_grad


def test_channels_first_sine_encoding_is_the_same_encoding_regrouped():
    """The inference layout (kind, axis, k, B) permuted back to channels is the release's PE, bit for bit."""
    points = torch.rand(37, 2) * 2 - 0.5
    grouped = sine_encoding_channels_first(points.t().contiguous(), 60, 0.01, 2 + 1e-6)
    assert grouped.shape == (2, 2, 30, 37)
    channels_first = grouped.permute(1, 2, 0, 3).reshape(120, 37)
    assert torch.equal(channels_first.t(), sine_pe_points(points, 60, 0.01, 2 + 1e-6))


def test_sine_encoding_gradient_is_analytic():
    """d sin(2 pi p / (n dim_t)) / dp through the stacked path (the query PE carries the flow gradient)."""
    points = torch.tensor([[0.3, 0.7]], dtype=torch.float64, requires_grad=True)
    pe = sine_encoding(points, 4, 0.01, 2.0)
    (grad,) = torch.autograd.grad(pe[0, 0], points)  # sin(2 pi y / 2 / dim_t[0]), dim_t[0] = 1
    assert grad[0, 0].item() == pytest.approx(math.pi * math.cos(math.pi * 0.3))
    assert grad[0, 1].item() == 0


def test_sine_encoding_gradcheck():
    points = (torch.rand(5, 2, dtype=torch.float64) * 2 - 0.5).requires_grad_()
    assert torch.autograd.gradcheck(lambda p: sine_encoding(p, 8, 0.01, 2 + 1e-6), (points, ), eps=1e-6, atol=1e-7)


def test_query_function_refused_in_grad_mode():
    kv = torch.randn(6, 8, requires_grad=True)
    idx = torch.zeros(6, 4, dtype=torch.long)
    bias = torch.zeros(4, 4)
    with pytest.raises(ValueError, match='grad mode needs the'):
        window_attention(lambda bi, p0, p1: torch.zeros(p1 - p0, 4), kv, idx, bias, bias, None, 2, 1)


def test_separate_key_and_value_tables_give_the_same_numbers():
    """Inference may pass K and V as two (M, C) tensors (half-size allocations): same output as one [K | V]."""
    torch.manual_seed(0)
    kv = torch.randn(12, 16)
    idx = torch.randint(0, 12, (12, 4))
    mask = (torch.rand(12, 4) > 0.3).float()
    k_bias, v_bias = torch.randn(4, 8), torch.randn(4, 8)
    q = torch.randn(12, 8)
    one = window_attention(q, kv, idx, k_bias, v_bias, mask, 2, 2, chunk=5)
    pair = window_attention(q, (kv[:, :8].contiguous(), kv[:, 8:].contiguous()), idx, k_bias, v_bias, mask, 2, 2,
                            chunk=5)
    assert torch.equal(one, pair)
    with pytest.raises(ValueError, match='not a query function or a \\(K, V\\) pair'):
        window_attention(q.requires_grad_(), (kv[:, :8], kv[:, 8:]), idx, k_bias, v_bias, mask, 2, 2)

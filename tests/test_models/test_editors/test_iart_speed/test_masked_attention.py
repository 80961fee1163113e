"""The chunked attention with a trainable mask (IART training): values and gradients of the plain product."""
import pytest
import torch

from iart_mm.models.editors.iart.masked_attention import masked_window_attention


def _inputs(windows=5, heads=2, nq=6, n=8, d=4):
    torch.manual_seed(0)
    q = torch.randn(windows, heads, nq, d, dtype=torch.float64, requires_grad=True)
    k = torch.randn(windows, heads, n, d, dtype=torch.float64, requires_grad=True)
    v = torch.randn(windows, heads, n, d, dtype=torch.float64, requires_grad=True)
    mask = torch.randn(1, heads, nq, n, dtype=torch.float64, requires_grad=True)
    return q, k, v, mask


@pytest.mark.parametrize('chunk_windows', [1, 2, 5, 8])
def test_matches_plain_attention_and_its_gradients(chunk_windows):
    """Any chunking (one window, uneven last chunk, all windows, more than all) gives the plain product's
    output and the gradients of q, k, v and the mask (summed over windows)."""
    q, k, v, mask = _inputs(nq=6, n=8)  # fewer queries than keys, as for the centre-frame-only block
    chunk_bytes = chunk_windows * 2 * 6 * 8 * 8
    out = masked_window_attention(q, k, v, mask, 0.7, chunk_bytes=chunk_bytes)
    expected = torch.softmax(0.7 * q @ k.transpose(-1, -2) + mask, -1) @ v
    assert torch.allclose(out, expected, atol=1e-12)
    upstream = torch.randn_like(out)
    got = torch.autograd.grad(out, (q, k, v, mask), upstream)
    want = torch.autograd.grad(expected, (q, k, v, mask), upstream)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        assert torch.allclose(g, w, atol=1e-12)


def test_gradcheck():
    q, k, v, mask = _inputs(windows=3, nq=4, n=4)
    assert torch.autograd.gradcheck(lambda *t: masked_window_attention(*t, 0.5, chunk_bytes=2 * 2 * 4 * 4 * 8),
                                    (q, k, v, mask))


def test_only_needed_gradients_are_computed():
    q, k, v, mask = _inputs()
    mask.requires_grad_(False)
    k.requires_grad_(False)
    out = masked_window_attention(q, k, v, mask, 0.7)
    grad_q, grad_v = torch.autograd.grad(out.sum(), (q, v))
    assert grad_q.abs().sum() > 0 and grad_v.abs().sum() > 0

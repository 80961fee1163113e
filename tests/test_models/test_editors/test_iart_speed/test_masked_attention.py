"""The chunked attention with trainable masks (IART training): values and gradients of the plain product."""
import pytest
import torch

from iart_mm.models.editors.iart import masked_attention
from iart_mm.models.editors.iart.masked_attention import grouped_masked_attention

WINDOWS, HEADS, N, D = 5, 2, 8, 4
GROUPS = [(0, 3), (3, 5)]  # two window categories, each with its own mask


def _inputs():
    torch.manual_seed(0)
    qkv = torch.randn(WINDOWS, N, 3 * HEADS * D, dtype=torch.float64, requires_grad=True)
    masks = [torch.randn(1, HEADS, N, N, dtype=torch.float64, requires_grad=True) for _ in GROUPS]
    return qkv, masks


def _plain(qkv, masks, rows, scale):
    q, k, v = qkv.view(WINDOWS, N, 3, HEADS, D).permute(2, 0, 3, 1, 4).unbind(0)
    mask = torch.cat([m[:, :, rows].expand(end - start, -1, -1, -1) for m, (start, end) in zip(masks, GROUPS)])
    out = torch.softmax(scale * q[:, :, rows] @ k.transpose(-1, -2) + mask, -1) @ v
    return out.transpose(1, 2).reshape(WINDOWS, -1, HEADS * D)


@pytest.mark.parametrize('rows', [slice(None), slice(2, 6)], ids=['all-queries', 'centre-queries'])
@pytest.mark.parametrize('chunk_windows', [1, 2, 8])
def test_matches_plain_attention_and_its_gradients(rows, chunk_windows):
    """Any chunking (one window, chunks across a group's end, all at once) and a query subset give the plain
    product's output and the gradients of the qkv projection and of each group's mask."""
    qkv, masks = _inputs()
    nq = len(range(N)[rows])
    out = grouped_masked_attention(qkv, 0.7, HEADS, GROUPS, [m[:, :, rows] for m in masks], rows,
                                   chunk_bytes=chunk_windows * HEADS * nq * N * 8)
    expected = _plain(qkv, masks, rows, 0.7)
    assert torch.allclose(out, expected, atol=1e-12)
    upstream = torch.randn_like(out)
    got = torch.autograd.grad(out, [qkv, *masks], upstream)
    want = torch.autograd.grad(expected, [qkv, *masks], upstream)
    for g, w in zip(got, want):
        assert torch.allclose(g, w, atol=1e-12)


def test_gradcheck():
    qkv, masks = _inputs()
    assert torch.autograd.gradcheck(
        lambda qkv, m1, m2: grouped_masked_attention(qkv, 0.5, HEADS, GROUPS, [m1, m2], chunk_bytes=1),
        (qkv, *masks))


def test_a_frozen_mask_gets_no_gradient():
    qkv, masks = _inputs()
    masks[1].requires_grad_(False)
    out = grouped_masked_attention(qkv, 0.7, HEADS, GROUPS, masks)
    grad_qkv, grad_mask = torch.autograd.grad(out.sum(), (qkv, masks[0]))
    assert grad_qkv.abs().sum() > 0 and grad_mask.abs().sum() > 0


@pytest.mark.parametrize('device, chunk_bytes', [('cpu', 8 * 2**20), ('meta', 512 * 2**20)])
def test_default_chunk_follows_the_device(device, chunk_bytes, monkeypatch):
    """Cache-sized score chunks on CPU; elsewhere (CUDA) large ones, so that few kernels are launched."""
    seen = []
    monkeypatch.setattr(masked_attention.GroupedMaskedAttention, 'apply', lambda *args: seen.append(args[5]))
    heads, n = 6, 192
    qkv = torch.empty(64, n, 3 * heads * 20, device=device)
    grouped_masked_attention(qkv, 1., heads, [(0, 64)], [torch.empty(1, heads, n, n, device=device)])
    assert seen == [max(1, chunk_bytes // (heads * n * n * 4))]

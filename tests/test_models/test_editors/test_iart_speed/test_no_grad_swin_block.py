"""The chunked in-place no-grad Swin blocks == the out-of-place blocks (shifted/unshifted, padded, odd sizes,
one query frame, chunk boundaries inside and across window categories, runs of blocks kept in window order
between blocks); the input is left untouched. At head dim 4 the attention runs in SDPA; at head dim 8, where
iart_mm's CPU op is built and usable, in the op (checked), against the autograd path's SDPA."""
import pytest
import torch

import iart_mm.models.editors.iart.fused_window_attention as fwa
import iart_mm.models.editors.iart.no_grad_swin_block as ngb
from iart_mm.models.editors.iart.swin_backbone import SwinBlock3D
from iart_mm.ops import cpu_window_attention_status

# (dim, heads): head dim 4 (SDPA) and 8 (the CPU op where usable)
DIMS = [(12, 3), (24, 3)]


@pytest.fixture
def op_calls(monkeypatch):
    """Counts the fused CPU op's calls from the blocks."""
    calls = []
    real = fwa.window_attention_into

    def spy(*args):
        calls.append(args[0].shape)
        return real(*args)

    monkeypatch.setattr(fwa, 'window_attention_into', spy)
    return calls


def check_op_ran(calls, dim, heads):
    if dim // heads == 8 and cpu_window_attention_status()[0]:
        assert calls, 'the CPU op is usable but the blocks did not call it'
    elif dim // heads == 4:
        assert not calls


def library_block(shifted, window=(3, 4, 4), dim=12, heads=3, seed=0):
    shift = (window[0], window[1] // 2, window[2] // 2) if shifted else (0, 0, 0)
    torch.manual_seed(seed)
    block = SwinBlock3D(dim, heads, window, shift).eval()
    with torch.no_grad():
        for p in block.parameters():
            p.add_(torch.randn_like(p) * 0.3)  # non-trivial bias table and norms
    return block


def out_of_place(block, x, frame=None):
    """The autograd path (taken whenever grad is enabled), detached."""
    with torch.enable_grad():
        out = block(x) if frame is None else block.forward_frame(x, frame)
    return out.detach()


@pytest.mark.parametrize('dim,heads', DIMS)
@pytest.mark.parametrize('chunk_tokens', [4096, 48, 100])  # one chunk; one window each; chunks across groups
@pytest.mark.parametrize('shifted', [False, True])
@pytest.mark.parametrize('size', [(3, 8, 8), (3, 13, 11), (2, 5, 9), (6, 4, 12)])
def test_equals_the_out_of_place_block(size, shifted, chunk_tokens, dim, heads, monkeypatch, op_calls):
    monkeypatch.setitem(ngb.CHUNK_TOKENS, 'cpu', chunk_tokens)
    block = library_block(shifted, dim=dim, heads=heads)
    x = torch.randn(2, *size, dim)
    kept = x.clone()
    expected = out_of_place(block, x)
    assert not op_calls  # the autograd path never takes the op
    with torch.no_grad():
        got = block(x)
    check_op_ran(op_calls, dim, heads)
    assert torch.equal(x, kept)
    assert got.shape == x.shape
    assert (got - expected).abs().max().item() <= 1e-5


@pytest.mark.parametrize('dim,heads', DIMS)
@pytest.mark.parametrize('shifted', [False, True])
@pytest.mark.parametrize('size', [(3, 8, 8), (3, 13, 11), (2, 5, 9), (6, 4, 4)])
def test_query_frame_equals_out_of_place_frame(size, shifted, dim, heads, monkeypatch, op_calls):
    monkeypatch.setitem(ngb.CHUNK_TOKENS, 'cpu', 100)
    block = library_block(shifted, dim=dim, heads=heads)
    x = torch.randn(2, *size, dim)
    kept = x.clone()
    for frame in range(size[0]):
        expected = out_of_place(block, x, frame)
        with torch.no_grad():
            got = block.forward_frame(x, frame)
        assert got.shape == (2, *size[1:], dim)
        assert (got - expected).abs().max().item() <= 1e-5
    check_op_ran(op_calls, dim, heads)
    assert torch.equal(x, kept)


@pytest.mark.parametrize('frame', [None, 0, 1])
@pytest.mark.parametrize('chunk_tokens', [4096, 48, 100])
@pytest.mark.parametrize('size', [(3, 8, 8), (3, 13, 11), (2, 5, 9), (6, 4, 12)])
def test_a_run_of_blocks_equals_the_blocks_one_by_one(size, chunk_tokens, frame, monkeypatch):
    # unshifted, shifted, shifted again (the same window order twice in a row), unshifted
    monkeypatch.setitem(ngb.CHUNK_TOKENS, 'cpu', chunk_tokens)
    blocks = [library_block(shifted, seed=i) for i, shifted in enumerate((False, True, True, False))]
    x = torch.randn(2, *size, 12)
    kept = x.clone()
    expected = x
    for i, block in enumerate(blocks):
        expected = out_of_place(block, expected, frame if i == len(blocks) - 1 else None)
    with torch.no_grad():
        got = ngb.swin_blocks_no_grad(blocks, x, frame)
    assert torch.equal(x, kept)
    assert got.shape == expected.shape
    assert (got - expected).abs().max().item() <= 1e-5


def test_a_run_of_blocks_needs_one_window_size():
    blocks = [library_block(False), library_block(True, window=(3, 8, 8))]
    with torch.no_grad(), pytest.raises(ValueError, match='one window size'):
        ngb.swin_blocks_no_grad(blocks, torch.randn(1, 3, 8, 8, 12))


def test_train_mode_with_drop_path_keeps_the_stochastic_path():
    block = SwinBlock3D(12, 3, (3, 4, 4), (0, 0, 0), drop_path=0.5).train()
    with torch.no_grad():
        block.mlp.fc2.bias.fill_(1.0)  # a branch output that cannot be zero
    with torch.no_grad():
        assert not block._lean()
        outs = {block(torch.ones(8, 3, 4, 4, 12)).sum(dim=(1, 2, 3, 4)).round(decimals=3).unique().numel()
                for _ in range(3)}
    assert max(outs) > 1  # samples dropped differently: drop-path ran
    block.eval()
    with torch.no_grad():
        assert block._lean()
    assert not block._lean()  # grad enabled: autograd needs the out-of-place path


def test_chunks_are_cache_sized_on_cpu_and_large_elsewhere():
    """CPU chunks stay in cache; on CUDA a chunk only bounds memory, so a 180x320 step needs few of them."""
    assert ngb.chunk_tokens(torch.device('cpu')) == 4096
    assert ngb.chunk_tokens('cuda:0') == ngb.chunk_tokens(torch.device('mps')) == 1 << 17
    assert 3 * 180 * 320 / ngb.chunk_tokens('cuda') <= 2

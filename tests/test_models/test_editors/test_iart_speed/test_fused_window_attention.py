"""Fused window attention == the release's unfused block attention (shifted/unshifted, padded, odd sizes)."""
import sys

import pytest
import torch

import iart_mm.models.editors.iart.fused_window_attention as fwa

from iart_mm.models.editors.iart.fused_window_attention import (folded_attention_mask,
                                                                 fused_shifted_window_attention,
                                                                 shift_region_mask)
from tests.paths import REPO_DIR

sys.path.insert(0, str(REPO_DIR / 'tools' / 'benchmarks'))
from reference_iart import ReleaseSwinBlock, compute_mask  # noqa: E402


def release_block(dim=12, heads=3, window=(3, 4, 4), shifted=True):
    shift = (window[0], window[1] // 2, window[2] // 2) if shifted else (0, 0, 0)
    block = ReleaseSwinBlock(dim, heads, window, shift).eval()
    with torch.no_grad():
        block.attn.relative_position_bias_table.normal_()  # non-trivial bias (the default init is zeros)
    return block, shift


def release_attention(block, x):
    ws = block.window_size
    tp, hp, wp = (-(-s // k) * k for s, k in zip(x.shape[1:4], ws))
    mask = compute_mask(tp, hp, wp, tuple(ws), (ws[0], ws[1] // 2, ws[2] // 2), x.device)
    return block.attention(x, mask)


@pytest.mark.parametrize('shifted', [False, True])
@pytest.mark.parametrize('size', [(3, 8, 8), (3, 13, 11), (2, 5, 9), (3, 4, 12)])
def test_fused_equals_release(shifted, size):
    block, shift = release_block(shifted=shifted)
    x = torch.randn(2, *size, 12)
    with torch.no_grad():
        expected = release_attention(block, x)
        got = fused_shifted_window_attention(block.attn, x, shift)
        again = fused_shifted_window_attention(block.attn, x, shift)  # cached layouts: same numbers
    assert got.shape == expected.shape == x.shape
    assert (got - expected).abs().max().item() <= 1e-5
    assert torch.equal(got, again)
    if x.shape[0] > 1:  # the batch elements are independent
        with torch.no_grad():
            single = fused_shifted_window_attention(block.attn, x[1:], shift)
        assert (single - got[1:]).abs().max().item() <= 1e-5


@pytest.mark.parametrize('shift,size', [((3, 0, 0), (3, 8, 8)), ((1, 2, 0), (3, 8, 5)), ((3, 2, 2), (3, 4, 4)),
                                        ((2, 0, 3), (5, 7, 9))])
def test_fused_equals_release_any_shift(shift, size):
    """Temporal-only shifts (identity roll, masked windows), identity rolls along padded axes, odd shifts."""
    window = (3, 4, 4)
    block = ReleaseSwinBlock(12, 3, window, shift).eval()
    with torch.no_grad():
        block.attn.relative_position_bias_table.normal_()
        x = torch.randn(2, *size, 12)
        padded = tuple(-(-s // k) * k for s, k in zip(size, window))
        expected = block.attention(x, compute_mask(*padded, window, shift, x.device))
        got = fused_shifted_window_attention(block.attn, x, shift)
    assert (got - expected).abs().max().item() <= 1e-5


def test_region_mask_matches_release():
    for size in [(3, 8, 8), (3, 16, 12), (6, 8, 8)]:
        for shift in [(3, 2, 2), (1, 2, 3)]:
            expected = compute_mask(*size, (3, 4, 4), shift, torch.device('cpu'))
            assert torch.equal(shift_region_mask(size, (3, 4, 4), shift), expected)


def test_folded_mask_is_bias_plus_region_mask_and_follows_weight_changes():
    """The release's ``table[index]`` (heads, N, N) plus the category's -100/0 mask; rebuilt from the current
    table on every call, so an in-place update (optimizer step, load_state_dict) shows at once."""
    block, shift = release_block()
    attn = block.attn
    n = 48
    bias = attn.relative_position_bias_table[attn.relative_position_index[:n, :n].reshape(-1)]
    bias = bias.reshape(n, n, -1).permute(2, 0, 1)
    with torch.no_grad():
        for category in range(8):
            got = folded_attention_mask(attn, n, category, shift, torch.device('cpu'), torch.float32)
            region = fwa._category_region_mask(category, attn.window_size, shift)
            assert got.shape == (1, 3, n, n)
            assert torch.equal(got[0], bias + region if category else bias)
        before = folded_attention_mask(attn, n, 6, shift, torch.device('cpu'), torch.float32)
        attn.relative_position_bias_table.add_(1.0)
        after = folded_attention_mask(attn, n, 6, shift, torch.device('cpu'), torch.float32)
    assert torch.allclose(after, before + 1.0)


def test_training_gradients_reach_the_bias_table():
    block, shift = release_block()
    block.train()
    x = torch.randn(1, 3, 8, 8, 12)
    fused_shifted_window_attention(block.attn, x, shift).square().sum().backward()
    fused_grad = block.attn.relative_position_bias_table.grad.clone()
    block.zero_grad()
    release_attention(block, x).square().sum().backward()
    expected = block.attn.relative_position_bias_table.grad
    assert fused_grad.abs().sum() > 0
    assert torch.allclose(fused_grad, expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize('shifted', [False, True])
def test_drop_in_for_the_library_swin_block(shifted):
    """Same parameters and numbers as ``SwinBlock3D``'s own attention (the call the lead will replace)."""
    from iart_mm.models.editors.iart.swin_backbone import SwinBlock3D
    release, shift = release_block(shifted=shifted)
    block = SwinBlock3D(12, 3, (3, 4, 4), shift).eval()
    block.load_state_dict(release.state_dict())
    x = torch.randn(1, 3, 9, 10, 12)
    with torch.no_grad():
        expected = block._attention(x)
        got = fused_shifted_window_attention(block.attn, block.norm1(x), block.shift_size)
    assert (got - expected).abs().max().item() <= 1e-5


@pytest.mark.parametrize('shifted', [False, True])
@pytest.mark.parametrize('size', [(3, 8, 8), (3, 13, 11), (2, 5, 9), (6, 4, 4)])
def test_query_frame_equals_full_output_frame(shifted, size):
    """One frame's output (queries of that frame only) == that frame of the full output, incl. T < wt padding
    and T > wt (several windows along t: falls back to the full computation)."""
    block, shift = release_block(shifted=shifted)
    x = torch.randn(2, *size, 12)
    with torch.no_grad():
        full = fused_shifted_window_attention(block.attn, x, shift)
        for frame in range(size[0]):
            got = fused_shifted_window_attention(block.attn, x, shift, query_frame=frame)
            assert got.shape == (2, *size[1:], 12)
            assert (got - full[:, frame]).abs().max().item() <= 1e-5


def test_backbone_centre_frame_path_equals_full_last_group():
    """The backbone's last group computes the centre frame alone; same numbers as the full group."""
    from iart_mm.models.editors.iart.swin_backbone import WindowSwinBackbone
    torch.manual_seed(0)
    net = WindowSwinBackbone(embed_dim=12, depths=(2, 2), num_heads=(3, 3), window_size=(3, 4, 4),
                             drop_path_rate=0.).eval()
    for p in net.parameters():
        p.data.add_(torch.randn_like(p) * 0.1)
    x = torch.randn(1, 3, 12, 9, 10)
    with torch.no_grad():
        got = net(x)
        feats = net.patch_embed.norm(x.permute(0, 1, 3, 4, 2))
        for layer in net.layers:
            feats = layer(feats)
        expected = net.conv_after_body(net.norm(feats)[:, 1].permute(0, 3, 1, 2)) + x[:, 1]
    assert (got - expected).abs().max().item() <= 1e-5

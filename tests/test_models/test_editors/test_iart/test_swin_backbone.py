"""The Swin blocks as written == the release's literal blocks (shifted/unshifted, padded, odd sizes, any
shift), forward and gradients; the traceable shift mask == the release's."""
import pytest
import torch

from iart_mm.models.editors.iart.swin_backbone import SwinBlock3D, WindowSwinBackbone
from iart_mm.models.editors.iart.windows import relative_position_index, shift_window_mask
from tests.reference.release_iart import ReleaseSwinBlock, compute_mask


def block_pair(shift, dim=12, heads=3, window=(3, 4, 4)):
    """The release's block and the library's with the same non-trivial weights."""
    torch.manual_seed(0)
    release = ReleaseSwinBlock(dim, heads, window, shift).eval()
    with torch.no_grad():
        for p in release.parameters():
            p.add_(torch.randn_like(p) * 0.3)  # non-trivial bias table (its init is zeros) and norms
    block = SwinBlock3D(dim, heads, window, shift).eval()
    block.load_state_dict(release.state_dict())
    return release, block


def release_forward(release, x):
    ws = release.window_size
    padded = tuple(-(-s // k) * k for s, k in zip(x.shape[1:4], ws))
    return release(x, compute_mask(*padded, tuple(ws), release.shift_size, x.device))


@pytest.mark.parametrize('shift', [(0, 0, 0), (3, 2, 2), (3, 0, 0), (1, 2, 0), (2, 0, 3)])
@pytest.mark.parametrize('size', [(3, 8, 8), (3, 13, 11), (2, 5, 9), (5, 7, 9)])
def test_block_equals_release(shift, size):
    release, block = block_pair(shift)
    x = torch.randn(2, *size, 12)
    with torch.no_grad():
        expected = release_forward(release, x)
        got = block(x)
    assert got.shape == x.shape
    assert (got - expected).abs().max().item() <= 1e-5


def test_shift_mask_matches_release():
    for size in [(3, 8, 8), (3, 16, 12), (6, 8, 8)]:
        for shift in [(3, 2, 2), (1, 2, 3), (0, 2, 0)]:
            expected = compute_mask(*size, (3, 4, 4), shift, torch.device('cpu'))
            assert torch.equal(shift_window_mask(size, (3, 4, 4), shift), expected), (size, shift)


def test_relative_position_index_matches_release():
    release, _ = block_pair((0, 0, 0), window=(3, 8, 8))
    assert torch.equal(relative_position_index((3, 8, 8)), release.attn.relative_position_index)


def test_gradients_equal_release():
    """Training: the same gradients of the input and of every parameter (the bias table included)."""
    release, block = block_pair((3, 2, 2))
    x = torch.randn(1, 3, 9, 10, 12)
    grads = []
    for module, fn in ((release, lambda x: release_forward(release, x)), (block, block)):
        module.train()
        xi = x.clone().requires_grad_()
        fn(xi).square().sum().backward()
        grads.append([xi.grad] + [p.grad for p in module.parameters()])
    assert grads[1][3].abs().sum() > 0  # the bias table got a gradient
    for a, b in zip(*grads):
        assert torch.allclose(a, b, atol=1e-4, rtol=1e-4)


def test_backbone_is_the_centre_frame_of_the_groups():
    torch.manual_seed(0)
    net = WindowSwinBackbone(embed_dim=12, depths=(2, 2), num_heads=(3, 3), window_size=(3, 4, 4),
                             drop_path_rate=0.).eval()
    x = torch.randn(1, 3, 12, 9, 10)
    with torch.no_grad():
        got = net(x)
        feats = net.patch_embed.norm(x.permute(0, 1, 3, 4, 2))
        for layer in net.layers:
            feats = layer(feats)
        expected = net.conv_after_body(net.norm(feats)[:, 1].permute(0, 3, 1, 2)) + x[:, 1]
    assert got.shape == (1, 12, 9, 10)
    assert torch.equal(got, expected)

"""The fast inference path == the model as written: the in-place window-order blocks (shifted/unshifted, padded,
odd sizes, one query frame, chunk boundaries inside and across window categories, runs of blocks), the
backbone, the banded upsampler, the oneDNN linears; the switch and its one dispatch point.

At head dim 4 the attention runs in SDPA; at head dim 8, where iart_mm's CPU op is built and usable, in the op
(checked)."""
import re
from pathlib import Path

import pytest
import torch

import iart_mm.models.editors.iart.inference as inference
from iart_mm.models.editors.iart import fast_inference, set_fast_inference, use_fast_inference
from iart_mm.models.editors.iart.inference import InferenceRunner, swin_blocks_in_place
from iart_mm.models.editors.iart.swin_backbone import SwinBlock3D, WindowSwinBackbone
from iart_mm.ops import cpu_window_attention_enabled, cpu_window_attention_status

# (dim, heads): head dim 4 (SDPA) and 8 (the CPU op where usable)
DIMS = [(12, 3), (24, 3)]


@pytest.fixture
def op_calls(monkeypatch):
    """Counts the CPU op's calls from the fast path."""
    calls = []
    real = inference.window_attention_into

    def spy(*args):
        calls.append(args[0].shape)
        return real(*args)

    monkeypatch.setattr(inference, 'window_attention_into', spy)
    return calls


def check_op_ran(calls, dim, heads):
    if dim // heads == 8 and cpu_window_attention_status()[0]:
        assert calls, 'the CPU op is usable but the fast path did not call it'
    elif dim // heads == 4:
        assert not calls


def runner(chunk_tokens=None):
    r = InferenceRunner(torch.device('cpu'), torch.float32)
    if chunk_tokens is not None:
        r.chunk_tokens = chunk_tokens
    return r


def library_block(shifted, window=(3, 4, 4), dim=12, heads=3, seed=0):
    shift = (window[0], window[1] // 2, window[2] // 2) if shifted else (0, 0, 0)
    torch.manual_seed(seed)
    block = SwinBlock3D(dim, heads, window, shift).eval()
    with torch.no_grad():
        for p in block.parameters():
            p.add_(torch.randn_like(p) * 0.3)  # non-trivial bias table and norms
    return block


@pytest.mark.parametrize('dim,heads', DIMS)
@pytest.mark.parametrize('chunk_tokens', [4096, 100])  # one chunk; chunks across window categories
@pytest.mark.parametrize('shifted', [False, True])
@pytest.mark.parametrize('size', [(3, 13, 11), (2, 5, 9), (6, 4, 12)])
def test_in_place_block_equals_the_block(size, shifted, chunk_tokens, dim, heads, op_calls):
    block = library_block(shifted, dim=dim, heads=heads)
    x = torch.randn(2, *size, dim)
    kept = x.clone()
    with torch.no_grad():
        expected = block(x)
        assert not op_calls  # the model as written never takes the op
        got = swin_blocks_in_place(runner(chunk_tokens), [block], x)
    check_op_ran(op_calls, dim, heads)
    assert torch.equal(x, kept)
    assert got.shape == x.shape
    assert (got - expected).abs().max().item() <= 1e-5


@pytest.mark.parametrize('frame', [None, 1])
@pytest.mark.parametrize('chunk_tokens', [4096, 48])  # one chunk; one window each
@pytest.mark.parametrize('size', [(3, 13, 11), (2, 5, 9), (6, 4, 12)])
def test_a_run_of_blocks_equals_the_blocks_one_by_one(size, chunk_tokens, frame):
    # unshifted, shifted, shifted again (the same window order twice in a row), unshifted
    blocks = [library_block(shifted, seed=i) for i, shifted in enumerate((False, True, True, False))]
    x = torch.randn(2, *size, 12)
    kept = x.clone()
    with torch.no_grad():
        expected = x
        for block in blocks:
            expected = block(expected)
        if frame is not None:
            expected = expected[:, frame]
        got = swin_blocks_in_place(runner(chunk_tokens), blocks, x, frame)
    assert torch.equal(x, kept)
    assert got.shape == expected.shape
    assert (got - expected).abs().max().item() <= 1e-5


def test_a_run_of_blocks_needs_one_window_size():
    blocks = [library_block(False), library_block(True, window=(3, 8, 8))]
    with torch.no_grad(), pytest.raises(ValueError, match='one window size'):
        swin_blocks_in_place(runner(), blocks, torch.randn(1, 3, 8, 8, 12))


@pytest.mark.parametrize('dim,heads', DIMS)
def test_backbone_equals_the_model(dim, heads, op_calls):
    torch.manual_seed(0)
    net = WindowSwinBackbone(embed_dim=dim, depths=(2, 2), num_heads=(heads, heads), window_size=(3, 4, 4),
                             drop_path_rate=0.).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.1)
        x = torch.randn(2, 3, dim, 9, 10)
        expected = net(x)
        got = runner(100).backbone(net, x)
    check_op_ran(op_calls, dim, heads)
    assert (got - expected).abs().max().item() <= 1e-5


@pytest.mark.parametrize('tile_rows', [1, 5, 40])
def test_banded_upsampler_equals_whole_frames(tile_rows):
    """Bands of any height (halo included) give the whole-frame upsampler's numbers, odd sizes too."""
    from tests.test_models.test_editors.test_iart.test_iapsrt_recurrent_net import tiny_net
    net = tiny_net().eval()
    lqs = torch.rand(2, 3, 3, 13, 9)
    feats = [torch.randn(2, 8, 13, 9) for _ in range(3)]
    with torch.no_grad():
        whole = net.upsample(lqs, feats, cache=False)
        r = runner()
        r.upsample_tile_rows = tile_rows
        got = net.upsample(lqs, feats, cache=False, runner=r)
        cached = net.upsample(lqs, feats, cache=True, runner=r)
    assert got.shape == whole.shape == (2, 3, 3, 52, 36)
    assert (got - whole).abs().max().item() <= 1e-5
    assert torch.equal(cached, got)


def test_upsampler_halo_is_needed(monkeypatch):
    """With one row less of halo the bands differ from whole frames: the halo is the receptive field."""
    from tests.test_models.test_editors.test_iart.test_iapsrt_recurrent_net import tiny_net
    net = tiny_net().eval()
    lqs = torch.rand(1, 2, 3, 16, 8)
    feats = [torch.randn(1, 8, 16, 8) for _ in range(2)]
    r = runner()
    r.upsample_tile_rows = 4
    with torch.no_grad():
        whole = net.upsample(lqs, feats, cache=False)
        good = net.upsample(lqs, feats, cache=False, runner=r)
        monkeypatch.setattr(inference, 'UPSAMPLE_HALO', inference.UPSAMPLE_HALO - 1)
        short = net.upsample(lqs, feats, cache=False, runner=r)
    assert (good - whole).abs().max().item() <= 1e-5
    assert (short - whole).abs().max().item() > 1e-3


@pytest.mark.parametrize('gelu', [False, True])
@pytest.mark.parametrize('bias', [True, False])
def test_linear_equals_the_module(gelu, bias):
    layer = torch.nn.Linear(24, 40, bias=bias)
    x = torch.randn(3, 7, 24)
    with torch.no_grad():
        expected = torch.nn.functional.gelu(layer(x)) if gelu else layer(x)
        got = runner().linear(layer, x, gelu=gelu)
    assert (got - expected).abs().max().item() <= 1e-5


def test_switch_environment_function_and_context(monkeypatch):
    monkeypatch.delenv(inference.ENV_FAST_INFERENCE, raising=False)
    assert use_fast_inference()
    monkeypatch.setenv(inference.ENV_FAST_INFERENCE, '0')
    assert not use_fast_inference()
    with fast_inference(True):
        assert use_fast_inference()
    assert not use_fast_inference()
    set_fast_inference(True)
    try:
        assert use_fast_inference()
    finally:
        set_fast_inference(None)
    assert not use_fast_inference()


def test_dispatch_takes_the_fast_path_only_for_eval_no_grad_with_the_switch_on():
    from tests.test_models.test_editors.test_iart.test_iapsrt_recurrent_net import tiny_net
    net = tiny_net().eval()
    lq = torch.rand(1, 2, 3, 64, 64)
    with torch.no_grad():
        assert isinstance(inference.inference_runner(net, lq), InferenceRunner)
        with fast_inference(False):
            assert inference.inference_runner(net, lq) is None
        net.train()
        assert inference.inference_runner(net, lq) is None
        net.eval()
    assert inference.inference_runner(net, lq) is None  # autograd recording


def test_kernel_choice_follows_the_op_switch():
    with cpu_window_attention_enabled(False):
        assert not runner().uses_cpu_op(192, 20)
    with cpu_window_attention_enabled(True):
        assert runner().uses_cpu_op(192, 20) == cpu_window_attention_status()[0]
        assert not runner().uses_cpu_op(192, 4)  # head dim not compiled
    assert not InferenceRunner(torch.device('cpu'), torch.float64).uses_cpu_op(192, 20)


def test_one_dispatch_point_in_the_iart_package():
    """Only inference.inference_runner asks whether autograd records or torch.compile traces."""
    package = Path(inference.__file__).parent
    hits = {}
    for path in package.glob('*.py'):
        for name in ('is_grad_enabled', 'is_compiling'):
            count = len(re.findall(rf'\b{name}\(', path.read_text()))
            if count:
                hits[path.name, name] = count
    assert hits == {('inference.py', 'is_grad_enabled'): 1, ('inference.py', 'is_compiling'): 1}

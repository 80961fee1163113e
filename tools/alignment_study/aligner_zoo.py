"""The aligners compared in the study, as MMagic configs, and how to build them.

Every aligner comes from ``mmagic.registry.MODELS`` (registered by ``iart_mm.models.aligners``) and has the
call ``aligner(feat_neighbor (n, c, h, w), feat_current (n, c, h, w), flow (n, 2, h, w)) -> (n, c, h, w)``
with flow in pixels, channel 0 = dx, channel 1 = dy, current -> neighbour.
Configs leave out the channel argument; ``build`` fills it (``dim`` ...) like the VSR networks do.
"""
import inspect

from mmagic.registry import MODELS

#: name -> aligner config (without its channel argument). Order = table order.
ALIGNERS = {
    'NA': dict(type='NoAlign'),
    'nearest': dict(type='FlowWarp', mode='nearest'),
    'bilinear': dict(type='FlowWarp', mode='bilinear'),
    'bicubic': dict(type='FlowWarp', mode='bicubic'),
    'PA': dict(type='PatchAlign'),
    'FGDC': dict(type='FlowGuidedDeformAlign', deform_groups=4),  # groups must divide the 16 channels
    'FGDA': dict(type='FlowGuidedDeformAttention', num_heads=4, offset_channels=16),
    'IA': dict(type='ImplicitWarp', num_heads=2),
}

#: the parameter-free resamplers used directly on RGB images in experiment (a).
IMAGE_LEVEL_FIXED = ('NA', 'nearest', 'bilinear', 'bicubic', 'PA')

#: added to IA when it is trained as an image resampler in (a)/(d): a sharper attention temperature than the
#: default (dim/heads)^-0.5, so that the few CPU-budget steps can reach peaked, offset-dependent weights.
IA_RESAMPLER_OPTIONS = dict(qk_scale=3.0)

#: IA variants of the ablations (d): name -> options added to ALIGNERS['IA'].
IA_ABLATIONS = {
    'IA (PE keys+queries, ws 2)': dict(),
    'IA no PE on queries': dict(pe_queries=False),
    'IA no PE on keys': dict(pe_keys=False),
    'IA no PE': dict(pe_keys=False, pe_queries=False),
    'IA ws 3': dict(window_size=3),
    'IA ws 4': dict(window_size=4),
}

_CHANNEL_ARGS = ('dim', 'channels', 'mid_channels', 'in_channels', 'embed_dim')


def is_available(cfg):
    """True when the aligner type of ``cfg`` is registered in MODELS."""
    return MODELS.get(cfg['type']) is not None


def channel_arg(cfg):
    """Name of the constructor argument through which the aligner of ``cfg`` gets its channels, or None."""
    params = inspect.signature(MODELS.get(cfg['type']).__init__).parameters
    return next((a for a in _CHANNEL_ARGS if a in params), None)


def build(cfg, channels):
    """Build the aligner of ``cfg`` for ``channels``-channel features (a KeyError names a missing type)."""
    if not is_available(cfg):
        raise KeyError(f'aligner type {cfg["type"]!r} is not registered in mmagic MODELS (is iart_mm imported?)')
    cfg = dict(cfg)
    arg = channel_arg(cfg)
    if arg is not None:
        cfg.setdefault(arg, channels)
    return MODELS.build(cfg)

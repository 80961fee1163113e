"""Shared helpers for checkpoint converters: read a state dict from any common container, rename keys
with ordered regex rules, and load strictly with one-line errors that name the offending keys."""
import re
from pathlib import Path

from .errors import CheckpointMismatchError
from .reading import load_checkpoint_file


def read_state_dict(path_or_dict, use_ema=False):
    """Return the weight dict of a checkpoint file or object.

    Understands BasicSR files (``params`` / ``params_ema``), MMEngine files (``state_dict``, optionally
    ``ema_state_dict``) and bare state dicts. ``use_ema`` picks the EMA weights and fails if there are none.
    Files are loaded with ``weights_only=True`` (:func:`iart_mm.checkpoint.reading.load_checkpoint_file`).
    """
    if isinstance(path_or_dict, (str, Path)):
        ckpt = load_checkpoint_file(path_or_dict)
    else:
        ckpt = path_or_dict
    if not isinstance(ckpt, dict):
        raise CheckpointMismatchError(f'checkpoint holds a {type(ckpt).__name__}, not a dict of weights')
    if use_ema:
        for key in ('params_ema', 'ema_state_dict'):
            if key in ckpt:
                sd = ckpt[key]
                if key == 'ema_state_dict':  # MMEngine's ExponentialMovingAverage: 'module.' prefix + steps
                    sd = {k[len('module.'):]: v for k, v in sd.items() if k.startswith('module.')}
                return dict(sd)
        raise CheckpointMismatchError(f'use_ema=True but the checkpoint has no EMA weights '
                                      f'(top-level keys: {sorted(ckpt)[:8]})')
    for key in ('params', 'state_dict'):
        if key in ckpt and isinstance(ckpt[key], dict):
            return dict(ckpt[key])
    return dict(ckpt)


def strip_prefix(state_dict, prefix):
    """Keys that start with ``prefix`` with it removed; the others are dropped."""
    return {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}


def rename_keys(state_dict, rules, what='checkpoint'):
    """Rename every key by the first matching ``(pattern, replacement)`` regex rule.

    A key that no rule matches raises :class:`CheckpointMismatchError` naming it (all of them, sorted).
    """
    out, unplaced = {}, []
    compiled = [(re.compile(p), r) for p, r in rules]
    for k, v in state_dict.items():
        for pat, rep in compiled:
            if pat.fullmatch(k):
                out[pat.sub(rep, k)] = v
                break
        else:
            unplaced.append(k)
    if unplaced:
        raise CheckpointMismatchError(
            f'{what}: {len(unplaced)} key(s) cannot be placed: {_short(unplaced)}')
    return out


def load_strict(module, state_dict, what='checkpoint', allow_missing=()):
    """``module.load_state_dict(state_dict, strict=True)`` with shape checks and one-line errors.

    Args:
        allow_missing (Iterable[str]): regexes of target keys that may stay at their initial values
            (e.g. a new aligner's weights when a plain BasicVSR checkpoint goes into IA-BasicVSR).

    Returns:
        list[str]: the target keys that were left missing (all matching ``allow_missing``).
    """
    parts, missing = mismatch_parts(module.state_dict(), state_dict, allow_missing)
    if parts:
        raise CheckpointMismatchError(f'{what} does not fit {type(module).__name__}: ' + '; '.join(parts))
    module.load_state_dict(state_dict, strict=False)
    return missing


def mismatch_parts(target, state_dict, allow_missing=()):
    """How ``state_dict`` differs from the ``target`` state dict, as short phrases.

    Args:
        target (dict): the model's ``state_dict()`` (only names and shapes are used).
        allow_missing (Iterable[str]): regexes of target keys that may be absent.

    Returns:
        tuple[list[str], list[str]]: the phrases (unexpected keys, missing keys, shape mismatches; empty when
        the state dict fits) and the target keys left missing.
    """
    allow = [re.compile(p) for p in allow_missing]
    missing = [k for k in target if k not in state_dict]
    not_allowed = [k for k in missing if not any(p.fullmatch(k) for p in allow)]
    unexpected = [k for k in state_dict if k not in target]
    shape = [f'{k} {tuple(state_dict[k].shape)} vs {tuple(target[k].shape)}' for k in state_dict
             if k in target and hasattr(state_dict[k], 'shape')
             and tuple(state_dict[k].shape) != tuple(target[k].shape)]
    parts = []
    if unexpected:
        parts.append(f'unexpected keys ({len(unexpected)}): {_short(unexpected)}')
    if not_allowed:
        parts.append(f'missing keys ({len(not_allowed)}): {_short(not_allowed)}')
    if shape:
        parts.append(f'shape mismatches ({len(shape)}): {_short(shape)}')
    return parts, missing


def _short(items, n=6):
    items = sorted(items)
    more = f' ... (+{len(items) - n} more)' if len(items) > n else ''
    return ', '.join(items[:n]) + more

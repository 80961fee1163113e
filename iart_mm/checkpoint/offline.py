"""Offline by default once a checkpoint is given: pretrained sub-weights named in a config are not fetched.

Configs name the weights a sub-network starts from (``spynet_pretrained``, IconVSR's ``edvr_pretrained``, the
perceptual loss's ``pretrained='torchvision://vgg19'``), often as URLs. A checkpoint replaces every one of those
weights, so when one is given they are set to None (:func:`without_pretrained`) and nothing is downloaded.
Where a download is really needed (training from scratch) and fails, :func:`explain_downloads` turns the
``URLError`` traceback into one line that names the file and the config key that can point to a local copy.
"""
import contextlib
import copy
import http.client
import os
import re
import socket
import urllib.error
from pathlib import Path

_PRETRAINED_KEY = re.compile(r'(.+_)?pretrained')


class WeightsDownloadError(FileNotFoundError):
    """A pretrained file a config names is not on this machine and cannot be downloaded."""


def pretrained_entries(cfg, prefix='model'):
    """``[(dotted key, value)]`` of every ``pretrained`` / ``*_pretrained`` option that is set, at any depth.

    Example: ``[('model.generator.spynet_pretrained', 'https://...'), ('model.perceptual_loss.pretrained',
    'torchvision://vgg19')]``.
    """
    out = []
    if isinstance(cfg, dict):
        for key, value in cfg.items():
            path = f'{prefix}.{key}'
            if isinstance(key, str) and _PRETRAINED_KEY.fullmatch(key) and isinstance(value, str):
                out.append((path, value))
            else:
                out += pretrained_entries(value, path)
    elif isinstance(cfg, (list, tuple)):
        for i, value in enumerate(cfg):
            out += pretrained_entries(value, f'{prefix}.{i}')
    return out


def without_pretrained(cfg):
    """A deep copy of a model (or network) config with every ``pretrained`` / ``*_pretrained`` option None."""
    cfg = copy.deepcopy(cfg)

    def clear(node):
        if isinstance(node, dict):
            for key in list(node):
                if isinstance(key, str) and _PRETRAINED_KEY.fullmatch(key) and isinstance(node[key], str):
                    node[key] = None
                else:
                    clear(node[key])
        elif isinstance(node, (list, tuple)):
            for value in node:
                clear(value)

    clear(cfg)
    return cfg


def resolve_url(value):
    """The download URL of a pretrained option (``https://...`` or ``torchvision://NAME``), or None for a path."""
    if value.startswith(('http://', 'https://')):
        return value
    if value.startswith('torchvision://'):
        from mmengine.runner.checkpoint import get_torchvision_models
        return get_torchvision_models().get(value[len('torchvision://'):])
    return None


def hub_checkpoint_dir():
    """Where torch (and MMEngine) keep downloaded weights: ``$TORCH_HOME/hub/checkpoints``."""
    import torch
    return Path(torch.hub.get_dir()) / 'checkpoints'


def missing_downloads(cfg, prefix='model'):
    """``[(key, value, url, file name)]`` of the pretrained options that need a download (not in the hub cache)."""
    out = []
    for key, value in pretrained_entries(cfg, prefix):
        url = resolve_url(value)
        if url is None:
            continue
        name = os.path.basename(url.split('?')[0])
        if not (hub_checkpoint_dir() / name).is_file():
            out.append((key, value, url, name))
    return out


_DOWNLOAD_ERRORS = (urllib.error.URLError, ConnectionError, socket.timeout, socket.gaierror,
                    http.client.HTTPException, TimeoutError)


@contextlib.contextmanager
def explain_downloads(cfg, prefix='model'):
    """Within the block, a failed download of a file that ``cfg`` names raises :class:`WeightsDownloadError`.

    The one-line message names the file, the URL and the config key to point at a local copy.
    """
    try:
        yield
    except _DOWNLOAD_ERRORS as exc:
        needed = missing_downloads(cfg, prefix)
        if not needed:
            raise
        key, value, url, name = needed[0]
        reason = str(getattr(exc, 'reason', '') or exc).strip()
        reason = reason.splitlines()[0] if reason else type(exc).__name__
        raise WeightsDownloadError(
            f'cannot download {name} ({url}: {reason}), the weights {key}={value!r} '
            f'names: copy the file to this machine and pass --cfg-options {key}=/path/to/{name} '
            f'(or put it in {hub_checkpoint_dir()})') from None

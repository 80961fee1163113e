"""PerceptualLoss whose VGG weights come from a configurable source: torchvision, a local file, or none.

MMagic 1.2's ``PerceptualVGG`` ignores its ``pretrained`` argument and always downloads torchvision's VGG,
which fails on machines without internet. :class:`VGGPerceptualLoss` is MMagic's ``PerceptualLoss`` (same
arguments, same forward) with a VGG that honours ``pretrained``:

* ``'torchvision://vgg19'`` (the usual source): torchvision's ImageNet weights (downloaded or from the torch hub
  cache, ``~/.cache/torch/hub/checkpoints/vgg19-dcbb9e9d.pth``);
* a local path: a torchvision-layout VGG state dict (the whole net, or only its ``features.*``), loaded
  strictly;
* ``None``: random weights, only for tests and smoke runs (a warning says so).
"""
from logging import WARNING
from pathlib import Path
from unittest import mock

import torch
import torchvision
from mmagic.models.losses import perceptual_loss as mmagic_perceptual_loss
from mmagic.models.losses.perceptual_loss import PerceptualLoss, PerceptualVGG
from mmagic.registry import MODELS
from mmengine import print_log


def build_vgg(vgg_type='vgg19', pretrained='torchvision://vgg19'):
    """torchvision VGG of ``vgg_type`` with weights from ``pretrained`` (see the module docstring)."""
    make = getattr(torchvision.models, vgg_type)
    if pretrained is None:
        print_log(f'VGGPerceptualLoss: {vgg_type} has RANDOM weights (pretrained=None); use this only in tests',
                  'current', WARNING)
        return make(weights=None)
    if pretrained.startswith('torchvision://'):
        if pretrained != f'torchvision://{vgg_type}':
            raise ValueError(f'pretrained={pretrained!r} does not name vgg_type={vgg_type!r}')
        return make(weights='DEFAULT')
    path = Path(pretrained)
    if not path.is_file():
        raise FileNotFoundError(f'VGG weights not found: {path} (give a torchvision-layout {vgg_type} state dict, '
                                f"or 'torchvision://{vgg_type}')")
    vgg = make(weights=None)
    state = torch.load(path, map_location='cpu', weights_only=True)
    state = state.get('state_dict', state)
    if all(k.startswith('features.') for k in state):  # only the convolutional part is used
        vgg.features.load_state_dict({k[len('features.'):]: v for k, v in state.items()}, strict=True)
    else:
        vgg.load_state_dict(state, strict=True)
    return vgg


class LocalPerceptualVGG(PerceptualVGG):
    """MMagic's PerceptualVGG (same attributes and forward) built by :func:`build_vgg`."""

    def __init__(self, layer_name_list, vgg_type='vgg19', use_input_norm=True, pretrained='torchvision://vgg19'):
        torch.nn.Module.__init__(self)  # the parent's __init__ would download torchvision's VGG
        self.layer_name_list = layer_name_list
        self.use_input_norm = use_input_norm
        num_layers = max(map(int, layer_name_list)) + 1
        self.vgg_layers = build_vgg(vgg_type, pretrained).features[:num_layers]
        if use_input_norm:  # ImageNet statistics for images in [0, 1]
            self.register_buffer('mean', torch.Tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
            self.register_buffer('std', torch.Tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.vgg_layers.requires_grad_(False)


@MODELS.register_module()
class VGGPerceptualLoss(PerceptualLoss):
    """MMagic's PerceptualLoss with ``pretrained`` honoured: 'torchvision://vgg19', a local path, or None."""

    def __init__(self, *args, **kwargs):
        # PerceptualLoss builds its VGG(s) through the module-level name; point it at the local-aware one
        with mock.patch.object(mmagic_perceptual_loss, 'PerceptualVGG', LocalPerceptualVGG):
            super().__init__(*args, **kwargs)

"""VGGPerceptualLoss: MMagic's PerceptualLoss with VGG weights from a local file, or random (tests)."""
import pytest
import torch
import torchvision

from iart_mm.models.editors.ia_realbasicvsr import VGGPerceptualLoss, build_vgg

LAYERS = {'2': 0.1, '7': 1.0}


def test_local_vgg_file_is_loaded(tmp_path):
    reference = torchvision.models.vgg11(weights=None)
    path = tmp_path / 'vgg11_features.pth'
    torch.save({f'features.{k}': v for k, v in reference.features.state_dict().items()}, path)
    loss = VGGPerceptualLoss(layer_weights=LAYERS, vgg_type='vgg11', pretrained=str(path), style_weight=0)
    torch.testing.assert_close(loss.vgg.vgg_layers[0].weight, reference.features[0].weight, rtol=0, atol=0)
    assert not any(p.requires_grad for p in loss.vgg.parameters())
    x, gt = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    percep, style = loss(x, gt)
    assert percep > 0 and style is None


def test_no_weights_for_tests_and_clear_errors(tmp_path):
    loss = VGGPerceptualLoss(layer_weights=LAYERS, vgg_type='vgg11', pretrained=None)
    assert len(loss.vgg.vgg_layers) == 8
    with pytest.raises(FileNotFoundError, match='VGG weights not found'):
        build_vgg('vgg11', str(tmp_path / 'missing.pth'))
    with pytest.raises(ValueError, match='does not name'):
        build_vgg('vgg11', 'torchvision://vgg19')

"""Padding to the model minimum, device selection, and half precision with its fp32 fallback."""
import numpy as np
import pytest
import torch

from iart_mm.video import VideoError, WindowRestorer, pad_to_min_size, select_device
from iart_mm.video.precision import PrecisionRunner
from tiny_video_models import TinyRecurrentVSR  # noqa: I100 (folder on sys.path)


@pytest.mark.parametrize('h,w,mode_h', [(40, 70, 64), (10, 10, 64), (64, 64, 64)])
def test_pad_to_min_size(h, w, mode_h):
    lq = torch.rand(1, 2, 3, h, w)
    padded, size = pad_to_min_size(lq, 64)
    assert size == (h, w)
    assert padded.shape[-2:] == (max(h, 64), max(w, 64))
    torch.testing.assert_close(padded[..., :h, :w], lq)  # original pixels untouched, padding after


def test_small_frames_are_padded_and_output_cropped():
    model = TinyRecurrentVSR(min_size=64).eval()  # asserts its input is >= 64x64
    restorer = WindowRestorer(model, 'cpu', min_size=64)
    frames = [np.random.randint(0, 256, (40, 50, 3), np.uint8) for _ in range(3)]
    out = restorer(frames, slice(0, 3))
    assert out.shape == (3, 160, 200, 3) and out.dtype == np.uint8


def test_single_frame_window():
    restorer = WindowRestorer(TinyRecurrentVSR().eval(), 'cpu', min_size=8)
    out = restorer([np.zeros((16, 16, 3), np.uint8)], slice(0, 1))
    assert out.shape == (1, 64, 64, 3)


def test_tile_below_min_size_rejected():
    with pytest.raises(ValueError, match='minimum size'):
        WindowRestorer(TinyRecurrentVSR(), 'cpu', tile=32, min_size=64)


def test_auto_device_and_unavailable_device():
    device = select_device()
    assert device.type in ('cuda', 'mps', 'cpu')
    if not torch.cuda.is_available():
        assert device.type in ('mps', 'cpu')
        with pytest.raises(VideoError, match='CUDA is not available'):
            select_device('cuda')


class NaNUnderAutocast(torch.nn.Module):
    """Overflows (NaN) whenever it runs under autocast, like an fp16 activation overflow."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, x):
        autocast = torch.is_autocast_enabled('cpu')
        self.calls.append(autocast)
        out = x.repeat_interleave(2, -1).repeat_interleave(2, -2)
        return out * float('nan') if autocast else out


@pytest.mark.parametrize('precision', ['fp16', 'bf16'])
def test_nan_in_half_precision_falls_back_to_fp32(precision):
    model = NaNUnderAutocast()
    runner = PrecisionRunner(model, torch.device('cpu'), precision)
    out = runner(torch.rand(1, 2, 3, 4, 4))
    assert torch.isfinite(out).all() and out.dtype == torch.float32
    assert runner.fell_back and model.calls == [True, False]
    runner(torch.rand(1, 2, 3, 4, 4))  # stays in fp32 afterwards
    assert model.calls == [True, False, False]


def test_bf16_runs_under_autocast_without_fallback():
    model = TinyRecurrentVSR().eval()
    lq = torch.rand(1, 2, 3, 8, 8)
    runner = PrecisionRunner(model, torch.device('cpu'), 'bf16')
    out = runner(lq)
    assert not runner.fell_back and out.dtype == torch.float32
    with torch.no_grad():
        torch.testing.assert_close(out, model(lq), atol=0.05, rtol=0)


def test_unknown_precision():
    with pytest.raises(VideoError, match='precision'):
        PrecisionRunner(TinyRecurrentVSR(), torch.device('cpu'), 'fp8')

"""super_resolve_video end to end with a (tiny, random) MMagic BasicVSRNet on a generated clip with audio."""
from fractions import Fraction

import av
import cv2
import pytest
import torch
from mmagic.models.editors.basicvsr.basicvsr_net import BasicVSRNet

from iart_mm.apis.video_inference import VideoResult, super_resolve_video
from iart_mm.video import VideoInputError, VideoOutputError
from iart_mm.video.synthetic import make_synthetic_video

NUM_FRAMES = 12


@pytest.fixture(scope='module')
def one_thread():
    # tiny tensors: extra OpenMP threads only spin on a busy 2-core machine
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def generator():
    torch.manual_seed(0)
    return BasicVSRNet(mid_channels=8, num_blocks=1).eval()


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    return make_synthetic_video(tmp_path_factory.mktemp('api') / 'clip.mp4', num_frames=NUM_FRAMES, width=72,
                                height=64, audio_codec='aac')


@pytest.fixture(scope='module')
def video_result(one_thread, generator, clip, tmp_path_factory):
    dst = tmp_path_factory.mktemp('api_out') / 'sr.mp4'
    return super_resolve_video(generator, clip, dst, chunk=5, context=2, progress=False)


def _describe(path):
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        times = [frame.time for frame in container.decode(video=0)]
        size = (video.codec_context.width, video.codec_context.height)
        container.seek(0)
        audio = [(p.pts, p.duration, bytes(p)) for p in container.demux(audio=0) if p.size]
        return dict(rate=video.average_rate, times=times, size=size, audio=audio,
                    duration=container.duration, codec=video.codec_context.name,
                    pix_fmt=video.codec_context.pix_fmt)


def test_video_output_keeps_frames_rate_timestamps_and_audio(video_result, clip):
    assert isinstance(video_result, VideoResult) and video_result.frames_written == NUM_FRAMES
    src, out = _describe(clip), _describe(video_result.path)
    assert len(out['times']) == NUM_FRAMES
    assert out['rate'] == src['rate'] == Fraction(25)
    assert out['times'] == src['times']
    assert abs(out['duration'] - src['duration']) <= av.time_base // 25  # within one frame
    assert len(out['audio']) == len(src['audio']) > 0
    assert out['audio'] == src['audio']  # copied packet for packet, not re-encoded
    assert out['size'] == (4 * 72, 4 * 64)
    assert (out['codec'], out['pix_fmt']) == ('h264', 'yuv420p')


def test_png_output_from_video(one_thread, generator, clip, tmp_path):
    dst = tmp_path / 'frames'
    result = super_resolve_video(generator, clip, dst, chunk=0, output='png', progress=False)
    files = sorted(dst.glob('*.png'))
    assert result.frames_written == NUM_FRAMES == len(files)
    assert cv2.imread(str(files[-1])).shape == (256, 288, 3)


def test_existing_output_is_refused_untouched(generator, clip, tmp_path):
    dst = tmp_path / 'sr.mp4'
    dst.write_bytes(b'keep me')
    with pytest.raises(VideoOutputError, match='already exists'):
        super_resolve_video(generator, clip, dst, progress=False)
    assert dst.read_bytes() == b'keep me'


def test_any_callable_is_a_backend(one_thread, clip, tmp_path):
    """The model call is one function: a callable with the generator's contract (e.g. another runtime's
    session) runs as it is, through the same chunking and tiling."""
    calls = []

    def nearest_x4(lq):
        calls.append(tuple(lq.shape))
        assert lq.dtype == torch.float32 and 0 <= lq.min() and lq.max() <= 1
        return torch.nn.functional.interpolate(lq.flatten(0, 1), scale_factor=4, mode='nearest').unflatten(
            0, lq.shape[:2])

    result = super_resolve_video(nearest_x4, clip, tmp_path / 'sr.mkv', chunk=5, context=1, tile=64,
                                 tile_overlap=8, progress=False)
    assert result.frames_written == NUM_FRAMES and not result.fell_back_to_fp32
    assert (1, 2, 3, 64, 64) == calls[0]  # the warm-up
    assert all(shape[-1] <= 64 for shape in calls[1:])  # tiles
    assert _describe(result.path)['size'] == (4 * 72, 4 * 64)


def test_truncated_input_raises_with_the_partial_output(one_thread, clip, tmp_path):
    from iart_mm.video import VideoIncompleteError
    from tests.test_video.tiny_video_models import TinyRecurrentVSR
    generator = TinyRecurrentVSR().eval()  # cheap: 30 frames
    src = tmp_path / 'cut.mp4'
    src.write_bytes(clip.read_bytes()[:clip.stat().st_size // 2])
    with pytest.raises(VideoInputError):  # moov atom at the end: nothing can be read at all
        super_resolve_video(generator, src, tmp_path / 'a.mp4', progress=False)
    fast = make_synthetic_video(tmp_path / 'fast.mp4', num_frames=30, width=72, height=64, audio_codec=None,
                                faststart=True)  # the index first: a truncated copy opens
    src.write_bytes(fast.read_bytes()[:fast.stat().st_size * 3 // 4])
    with pytest.raises(VideoIncompleteError) as info:
        super_resolve_video(generator, src, tmp_path / 'b.mp4', min_size=8, progress=False)
    read = info.value.frames_read
    assert 0 < read < 30 and info.value.partial == tmp_path / 'b.partial.mp4'
    with av.open(str(info.value.partial)) as partial:
        assert sum(1 for _ in partial.decode(video=0)) == read
    result = super_resolve_video(generator, src, tmp_path / 'c.mp4', allow_partial=True, min_size=8,
                                 progress=False)
    assert result.frames_written == read and 'reading failed after' in result.incomplete

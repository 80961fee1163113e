"""The streaming loop on a generated video: chunked vs whole-clip, Ctrl-C, and bad inputs."""
from fractions import Fraction

import av
import numpy as np
import pytest

from iart_mm.video import (VideoFileSource, VideoInputError, VideoInterrupted, WindowRestorer, open_source,
                           run_stream)
from iart_mm.video.synthetic import make_synthetic_video
from tiny_video_models import TinyRecurrentVSR  # noqa: I100 (folder on sys.path)


class ListSink:
    def __init__(self):
        self.frames, self.pts, self.closed = [], [], None

    def write(self, rgb, pts):
        self.frames.append(rgb)
        self.pts.append(pts)

    def close(self, complete=True):
        self.closed = complete


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    return make_synthetic_video(tmp_path_factory.mktemp('clip') / 'clip.mp4', num_frames=12, width=72,
                                height=64, audio_codec='aac')


def _run(source, model, chunk, context):
    sink = ListSink()
    _, written = run_stream(source, WindowRestorer(model, 'cpu', min_size=8), lambda w, h: sink, chunk,
                            context, progress=False)
    assert written == len(sink.frames) and sink.closed is True
    return sink


def test_source_reads_size_rate_and_count(clip):
    source = open_source(clip)
    assert (source.width, source.height, source.fps, source.num_frames) == (72, 64, Fraction(25), 12)
    frames = list(source)
    assert len(frames) == 12 and frames[0].rgb.shape == (64, 72, 3)
    assert [f.pts * source.time_base for f in frames] == [Fraction(i, 25) for i in range(12)]


def test_chunked_matches_whole_clip_when_context_is_large(clip):
    model = TinyRecurrentVSR().eval()
    source = VideoFileSource(clip)
    whole = _run(source, model, chunk=0, context=0)
    assert len(whole.frames) == 12 and whole.frames[0].shape == (256, 288, 3)
    errors = {}
    for context in (0, 2, 12):
        chunked = _run(source, model, chunk=4, context=context)
        assert chunked.pts == whole.pts
        errors[context] = max(np.abs(a.astype(int) - b).max() for a, b in zip(chunked.frames, whole.frames))
    # a context covering the clip gives every window the whole clip: identical output
    assert errors[12] == 0
    # without context, chunk borders lose the recurrent state and differ; context brings them back
    assert errors[0] > errors[2]
    assert errors[0] >= 2


def test_interrupt_leaves_playable_partial_video(clip, tmp_path):
    from iart_mm.apis.video_inference import super_resolve_video

    class StopOnFourthCall(TinyRecurrentVSR):  # call 1 is the warm-up, then one call per window
        calls = 0

        def forward(self, lrs):
            StopOnFourthCall.calls += 1
            if StopOnFourthCall.calls == 4:
                raise KeyboardInterrupt
            return super().forward(lrs)

    dst = tmp_path / 'sr.mp4'
    with pytest.raises(VideoInterrupted) as info:
        super_resolve_video(StopOnFourthCall(), clip, dst, chunk=4, context=1, min_size=8, progress=False)
    assert info.value.frames_written == 8 and info.value.path == tmp_path / 'sr.partial.mp4'
    assert not dst.exists()  # the output path only ever holds a whole result
    with av.open(str(info.value.path)) as container:
        frames = list(container.decode(video=0))
        assert len(frames) == 8 and frames[0].width == 288
        container.seek(0)
        audio = [p for p in container.demux(audio=0) if p.size]
    assert audio and max(float(p.pts * p.time_base) for p in audio) <= 8 / 25
    assert not list(tmp_path.glob('.*partial*'))


def test_interrupt_before_any_frame_keeps_nothing(clip, tmp_path):
    from iart_mm.apis.video_inference import super_resolve_video

    class StopAtOnce(TinyRecurrentVSR):
        def forward(self, lrs):
            raise KeyboardInterrupt

    with pytest.raises(VideoInterrupted) as info:
        super_resolve_video(StopAtOnce(), clip, tmp_path / 'sr.mp4', min_size=8, progress=False)
    assert (info.value.frames_written, info.value.path) == (0, None) and not list(tmp_path.iterdir())


def test_missing_input():
    with pytest.raises(VideoInputError, match='not found'):
        open_source('/nonexistent/clip.mp4')


def test_unreadable_input(tmp_path):
    bad = tmp_path / 'garbage.mp4'
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(VideoInputError, match='garbage.mp4'):
        list(open_source(bad))


def test_audio_only_file_is_not_a_video(tmp_path):
    path = tmp_path / 'tone.mka'
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('mp2', rate=44100, layout='stereo')
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 2304), np.int16), format='s16', layout='stereo')
        frame.sample_rate = 44100
        frame.pts = 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(VideoInputError, match='no video stream'):
        open_source(path)


def test_empty_frame_folder(tmp_path):
    with pytest.raises(VideoInputError, match='no image frames'):
        open_source(tmp_path)

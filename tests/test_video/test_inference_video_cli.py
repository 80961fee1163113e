"""tools/inference_video.py: a full run (model loading stubbed with a tiny model), PNG mode, and the
one-line ``error: ...`` / exit 2 cases that must leave existing outputs untouched."""
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest
import torch

from iart_mm.video.synthetic import make_synthetic_video
from tiny_video_models import TinyRecurrentVSR  # noqa: I100 (folder on sys.path)


@pytest.fixture
def tiny_model(cli, monkeypatch):
    loaded = []

    def fake_load(args, device):
        loaded.append(args)
        return TinyRecurrentVSR().eval()

    monkeypatch.setattr(cli, 'load_generator', fake_load)
    return loaded


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    return make_synthetic_video(tmp_path_factory.mktemp('cli') / 'in.mkv', num_frames=6, width=72, height=64,
                                audio_codec='mp2', subtitles=[(0.0, 0.1, 'first'), (0.12, 0.2, 'second')])


def _subtitle_packets(path):
    with av.open(str(path)) as container:
        return [(bytes(p), p.pts * p.time_base) for p in container.demux(subtitles=0) if p.size]


def _error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('error: '), err
    return err[0]


def test_video_run_keeps_rate_audio_and_subtitles(cli, tiny_model, clip, tmp_path, capsys):
    dst = tmp_path / 'out.mkv'
    assert cli.main([str(clip), str(dst), '--chunk', '3', '--context', '1', '--min-size', '8',
                     '--no-progress', '--crf', '30']) == 0
    assert tiny_model  # the model was built through load_generator
    with av.open(str(dst)) as out:
        video = out.streams.video[0]
        assert video.average_rate == 25 and video.codec_context.name == 'h264'
        frames = list(out.decode(video=0))
        assert len(frames) == 6 and (frames[0].width, frames[0].height) == (288, 256)
        assert frames[0].format.name == 'yuv420p'
        assert out.streams.audio and out.streams.audio[0].codec_context.name == 'mp2'
    assert _subtitle_packets(dst) == _subtitle_packets(clip) == [(b'first', 0), (b'second', Fraction(3, 25))]


def _mov_text_cues(path):
    """(text, start, end) of every non-empty cue, read back by FFmpeg's own mov_text decoder."""
    cues = []
    with av.open(str(path)) as container:
        stream = container.streams.subtitles[0]
        assert stream.codec_context.name == 'mov_text'
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            start = packet.pts * packet.time_base
            for subtitle in stream.decode(packet):
                for rect in subtitle.rects:
                    text = rect.ass.decode().split(',', 8)[-1]  # ASS dialogue: the text is the 9th field
                    if text:
                        cues.append((text, start, start + Fraction(subtitle.end_display_time, 1000)))
    return cues


def test_mp4_output_turns_srt_into_mov_text(cli, tiny_model, tmp_path):
    cues = [(0.0, 0.1, 'first'), (0.12, 0.2, '<i>second</i> line'), (0.4, 0.9, 'two\nlines')]
    src = make_synthetic_video(tmp_path / 'in.mkv', num_frames=25, width=32, height=32, audio_codec='aac',
                               subtitles=cues)
    dst = tmp_path / 'out.mp4'
    assert cli.main([str(src), str(dst), '--min-size', '8', '--no-progress']) == 0
    expected = [('first', 0, Fraction(1, 10)), ('second line', Fraction(3, 25), Fraction(1, 5)),
                ('two\\Nlines', Fraction(2, 5), Fraction(9, 10))]  # the decoder gives ASS line breaks
    assert _mov_text_cues(dst) == expected
    # same cues and timings as the SRT stream of the input
    assert [(start, start + duration) for _, start, duration in _srt_cues(src)] == [c[1:] for c in expected]
    with av.open(str(dst)) as out:
        assert len(out.streams.audio) == 1 and sum(1 for _ in out.decode(video=0)) == 25


def test_mkv_output_keeps_the_srt_codec(cli, tiny_model, clip, tmp_path):
    dst = tmp_path / 'out.mkv'
    assert cli.main([str(clip), str(dst), '--min-size', '8', '--no-progress']) == 0
    with av.open(str(dst)) as out:
        assert out.streams.subtitles[0].codec_context.name in ('srt', 'subrip')


def _srt_cues(path):
    with av.open(str(path)) as container:
        return [(bytes(p), p.pts * p.time_base, p.duration * p.time_base)
                for p in container.demux(subtitles=0) if p.size]


def test_config_and_checkpoint_model(cli, clip, tmp_path):
    """The real loading path: an MMagic config + checkpoint through iart_mm.apis.init_model."""
    from mmagic.models.editors.basicvsr.basicvsr_net import BasicVSRNet
    config = tmp_path / 'tiny_basicvsr.py'
    config.write_text("model = dict(type='BasicVSR', generator=dict(type='BasicVSRNet', mid_channels=8, "
                      "num_blocks=1, spynet_pretrained=None), pixel_loss=dict(type='CharbonnierLoss'))\n")
    net = BasicVSRNet(mid_channels=8, num_blocks=1)
    torch.save({'state_dict': {f'generator.{k}': v for k, v in net.state_dict().items()}}, tmp_path / 'tiny.pth')
    dst = tmp_path / 'out.mkv'
    assert cli.main([str(clip), str(dst), '--config', str(config), '--checkpoint', str(tmp_path / 'tiny.pth'),
                     '--chunk', '0', '--no-progress']) == 0
    with av.open(str(dst)) as out:
        assert sum(1 for _ in out.decode(video=0)) == 6 and out.streams.video[0].codec_context.width == 288


def test_png_mode_with_progress_bar(cli, tiny_model, clip, tmp_path, capsys):
    dst = tmp_path / 'frames'
    assert cli.main([str(clip), str(dst), '--png', '--chunk', '4', '--min-size', '8']) == 0
    err = capsys.readouterr().err
    # MKV states no frame count: the total is estimated from its duration and says so
    assert '6/about 6' in err and 'frame/s' in err
    files = sorted(dst.glob('*.png'))
    assert [f.name for f in files] == [f'{i:08d}.png' for i in range(6)]
    assert cv2.imread(str(files[0])).shape == (256, 288, 3)


def test_frame_folder_input(cli, tiny_model, tmp_path):
    src = tmp_path / 'lr'
    src.mkdir()
    for i in range(3):  # unpadded names: natural order must put frame 2 before frame 10
        cv2.imwrite(str(src / f'f{[1, 2, 10][i]}.png'), np.full((20, 24, 3), 40 * i, np.uint8))
    dst = tmp_path / 'sr.mp4'
    assert cli.main([str(src), str(dst), '--fps', '10', '--min-size', '8', '--no-progress']) == 0
    with av.open(str(dst)) as out:
        frames = [f.to_ndarray(format='rgb24') for f in out.decode(video=0)]
        assert out.streams.video[0].average_rate == 10
    assert len(frames) == 3 and frames[0].shape == (80, 96, 3)
    assert frames[0].mean() < frames[1].mean() < frames[2].mean()


def test_existing_output_refused_and_untouched(cli, tiny_model, clip, tmp_path, capsys):
    dst = tmp_path / 'out.mp4'
    dst.write_bytes(b'precious')
    assert cli.main([str(clip), str(dst), '--no-progress']) == 2
    line = _error_line(capsys)
    assert 'already exists' in line and '--overwrite' in line
    assert dst.read_bytes() == b'precious' and not tiny_model  # refused before loading a model
    folder = tmp_path / 'frames'
    folder.mkdir()
    (folder / 'keep.png').write_bytes(b'x')
    assert cli.main([str(clip), str(folder), '--png', '--no-progress']) == 2
    assert 'not empty' in _error_line(capsys)
    assert [p.name for p in folder.iterdir()] == ['keep.png']


def test_overwrite_replaces(cli, tiny_model, clip, tmp_path):
    dst = tmp_path / 'out.mkv'
    dst.write_bytes(b'old')
    assert cli.main([str(clip), str(dst), '--overwrite', '--min-size', '8', '--no-progress']) == 0
    with av.open(str(dst)) as out:
        assert out.streams.video[0].codec_context.width == 288
    assert [p.name for p in tmp_path.iterdir()] == ['out.mkv']  # no partial file left behind


def test_failure_midway_leaves_existing_output(cli, monkeypatch, clip, tmp_path, capsys):
    class Broken(TinyRecurrentVSR):
        def forward(self, lrs):
            raise ValueError('model exploded')

    monkeypatch.setattr(cli, 'load_generator', lambda args, device: Broken())
    dst = tmp_path / 'out.mkv'
    dst.write_bytes(b'old')
    assert cli.main([str(clip), str(dst), '--overwrite', '--min-size', '8', '--no-progress']) == 2
    assert 'model exploded' in _error_line(capsys)
    assert dst.read_bytes() == b'old' and [p.name for p in tmp_path.iterdir()] == ['out.mkv']


@pytest.mark.parametrize('make_input,message', [
    (lambda d: d / 'missing.mp4', 'input not found'),
    (lambda d: (d / 'noise.mp4').write_bytes(bytes(range(256)) * 8) and d / 'noise.mp4', 'cannot read'),
    (lambda d: (d / 'notes.txt').write_text('hello\n') and d / 'notes.txt', 'notes.txt'),
])
def test_bad_input_is_one_line_error(cli, tiny_model, tmp_path, capsys, make_input, message):
    src = make_input(tmp_path)
    dst = tmp_path / 'out.mp4'
    assert cli.main([str(src), str(dst), '--no-progress']) == 2
    assert message in _error_line(capsys)
    assert not dst.exists() and not tiny_model


def test_bad_settings_are_one_line_errors(cli, tiny_model, clip, tmp_path, capsys):
    assert cli.main([str(clip), str(tmp_path / 'a.mp4'), '--tile', '32', '--no-progress']) == 2
    assert 'minimum size' in _error_line(capsys)
    assert cli.main([str(clip), str(tmp_path / 'b.mp4'), '--codec', 'nonexistent_codec', '--min-size', '8',
                     '--no-progress']) == 2
    assert 'nonexistent_codec' in _error_line(capsys)
    assert cli.main([str(clip), str(tmp_path / 'c.mp4'), '--context', '-1', '--no-progress']) == 2
    assert 'context' in _error_line(capsys)
    assert not list(tmp_path.iterdir())


def test_no_warm_up_starts_with_the_first_window(cli, clip, tmp_path, monkeypatch):
    from tiny_video_models import HookedVSR
    frames = []
    monkeypatch.setattr(cli, 'load_generator',
                        lambda args, device: HookedVSR(lambda call, lrs, where: frames.append(lrs.shape[1])))
    for flag, first in (([], 2), (['--no-warm-up'], 6)):
        frames.clear()
        assert cli.main([str(clip), str(tmp_path / f'out{first}.mkv'), '--min-size', '8', '--no-progress']
                        + flag) == 0
        assert frames[0] == first  # the 2-frame warm-up, or the whole 6-frame clip as the first window

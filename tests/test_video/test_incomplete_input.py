"""tools/inference_video.py on a truncated copy of a real encoded file: exit 2 with the frame count and a
kept ``.partial`` output, or the partial result accepted with ``--allow-partial``."""
from fractions import Fraction

import av
import pytest

from iart_mm.video import open_source
from iart_mm.video.synthetic import make_synthetic_video
from tiny_video_models import TinyRecurrentVSR  # noqa: I100 (folder on sys.path)


@pytest.fixture
def tiny_model(cli, monkeypatch):
    monkeypatch.setattr(cli, 'load_generator', lambda args, device: TinyRecurrentVSR().eval())


def _truncated_copy(src, dst, fraction=0.5):
    data = src.read_bytes()
    dst.write_bytes(data[:int(len(data) * fraction)])
    return dst


def _decodable_frames(path):
    count = 0
    try:
        with av.open(str(path)) as container:
            for _ in container.decode(video=0):
                count += 1
    except av.FFmpegError:
        pass
    return count


def _frames(path):
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def _error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('error: '), err
    return err[0]


@pytest.fixture(scope='module')
def mkv(tmp_path_factory):
    """The case as a user met it: 47 frames at 24000/1001 fps with AAC and SubRip streams (MKV states
    no frame count: only a duration)."""
    return make_synthetic_video(tmp_path_factory.mktemp('mkv') / 'clip.mkv', num_frames=47, width=32,
                                height=32, fps=Fraction(24000, 1001), audio_codec='aac',
                                subtitles=[(0.1, 0.5, 'early'), (1.5, 1.9, 'late')])


@pytest.fixture(scope='module')
def mp4(tmp_path_factory):
    """An MP4 with its index first, so a truncated copy still opens and states its exact frame count."""
    return make_synthetic_video(tmp_path_factory.mktemp('mp4') / 'clip.mp4', num_frames=40, width=32,
                                height=32, audio_codec='aac', faststart=True)


def test_the_whole_file_is_not_flagged(mkv, mp4):
    for path, frames, exact in ((mkv, 47, False), (mp4, 40, True)):
        source = open_source(path)
        assert (source.num_frames, source.num_frames_exact) == (frames, exact)
        assert sum(1 for _ in source) == frames and source.incomplete is None


@pytest.mark.parametrize('kind', ['mkv', 'mp4'])
def test_truncated_input_exits_2_and_keeps_a_partial_file(cli, tiny_model, request, kind, tmp_path, capsys):
    src = _truncated_copy(request.getfixturevalue(kind), tmp_path / f'cut.{kind}')
    read = _decodable_frames(src)
    total = 47 if kind == 'mkv' else 40
    assert 0 < read < total
    dst = tmp_path / f'out.{kind}'
    assert cli.main([str(src), str(dst), '--chunk', '8', '--context', '2', '--min-size', '8',
                     '--no-progress']) == 2
    line = _error_line(capsys)
    partial = tmp_path / f'out.partial.{kind}'
    assert 'looks truncated or corrupt' in line and f'{read} frames' in line and str(partial) in line
    assert '--allow-partial' in line
    if kind == 'mp4':  # the exact count of the container is quoted, not an estimate
        assert f'{read} of the {total}' in line
    else:
        assert f'about {total}' in line
    assert not dst.exists() and _frames(partial) == read
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([src.name, partial.name])  # no hidden file


def test_allow_partial_accepts_the_frames_read(cli, tiny_model, mkv, tmp_path, capsys):
    src = _truncated_copy(mkv, tmp_path / 'cut.mkv')
    read = _decodable_frames(src)
    dst = tmp_path / 'out.mkv'
    assert cli.main([str(src), str(dst), '--allow-partial', '--min-size', '8', '--no-progress']) == 0
    assert f'wrote {read} frames to {dst} (a partial result' in capsys.readouterr().err
    assert _frames(dst) == read and not list(tmp_path.glob('*partial*'))


def test_existing_partial_file_is_not_overwritten(cli, tiny_model, mkv, tmp_path, capsys):
    src = _truncated_copy(mkv, tmp_path / 'cut.mkv')
    (tmp_path / 'out.partial.mkv').write_bytes(b'an earlier partial result')
    assert cli.main([str(src), str(tmp_path / 'out.mkv'), '--min-size', '8', '--no-progress']) == 2
    assert 'out.partial-2.mkv' in _error_line(capsys)
    assert (tmp_path / 'out.partial.mkv').read_bytes() == b'an earlier partial result'
    assert _frames(tmp_path / 'out.partial-2.mkv') == _decodable_frames(src)


def test_truncated_input_to_png_frames(cli, tiny_model, mkv, tmp_path, capsys):
    src = _truncated_copy(mkv, tmp_path / 'cut.mkv', fraction=0.8)
    read = _decodable_frames(src)
    dst = tmp_path / 'frames'
    assert cli.main([str(src), str(dst), '--png', '--min-size', '8', '--no-progress']) == 2
    line = _error_line(capsys)
    assert f'the {read} frames read are in {dst}' in line
    assert len(list(dst.glob('*.png'))) == read

"""Ctrl-C (a real SIGINT, delivered at a chosen point of the run) in tools/inference_video.py: one line,
exit 130, and either a playable ``.partial`` file holding exactly the frames the line reports, or the
statement that nothing was written. Nothing at the output path itself, and no hidden file left."""
import os
import signal
import subprocess
import sys
import textwrap

import av
import pytest

from tests.paths import REPO_DIR
from iart_mm.video import VideoFileSink, VideoFileSource
from iart_mm.video.synthetic import make_synthetic_video
from tiny_video_models import HookedVSR

NUM_FRAMES = 14
# --chunk 4 --context 1: windows keep frames 0-3, 4-7, 8-11, 12-13; model call 1 is the warm-up
ARGS = ['--chunk', '4', '--context', '1', '--min-size', '8', '--no-progress']


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    return make_synthetic_video(tmp_path_factory.mktemp('sigint') / 'in.mkv', num_frames=NUM_FRAMES, width=32,
                                height=32, audio_codec='aac', subtitles=[(0.0, 0.2, 'cue')])


def _ctrl_c():
    signal.raise_signal(signal.SIGINT)


def _at(call, where):
    def hook(calls, lrs, point):
        if (calls, point) == (call, where):
            _ctrl_c()
    return hook


def _run(cli, clip, tmp_path, capsys, monkeypatch, hook, on_load=False):
    def load(args, device):
        if on_load:
            _ctrl_c()
        return HookedVSR(hook)

    monkeypatch.setattr(cli, 'load_generator', load)
    dst = tmp_path / 'out.mkv'
    status = cli.main([str(clip), str(dst)] + ARGS)
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 130 and len(err) == 1, err
    assert not dst.exists() and not list(tmp_path.glob('.*'))  # no output, no hidden file
    return err[0], tmp_path / 'out.partial.mkv'


def _frames(path):
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


@pytest.mark.parametrize('moment', ['model loading', 'warm-up', 'first window'])
def test_before_the_first_frame_nothing_is_written(cli, clip, tmp_path, capsys, monkeypatch, moment):
    hook = {'model loading': _at(0, 'never'), 'warm-up': _at(1, 'middle'), 'first window': _at(2, 'middle')}
    line, partial = _run(cli, clip, tmp_path, capsys, monkeypatch, hook[moment], on_load=moment == 'model loading')
    assert line == 'interrupted: nothing was written'
    assert list(tmp_path.iterdir()) == []


def test_mid_chunk_keeps_the_windows_finished(cli, clip, tmp_path, capsys, monkeypatch):
    line, partial = _run(cli, clip, tmp_path, capsys, monkeypatch, _at(4, 'middle'))  # inside window 3
    assert line == f'interrupted: the 8 frames finished so far are in {partial}'
    assert _frames(partial) == 8
    with av.open(str(partial)) as container:  # the side streams are cut with the video
        audio = [p for p in container.demux(audio=0) if p.size]
        assert audio and max(float(p.pts * p.time_base) for p in audio) <= 8 / 25


def test_between_chunks(cli, clip, tmp_path, capsys, monkeypatch):
    """While the frames of the next window are decoded, after window 1 was written."""
    frames = VideoFileSource.__iter__

    def iterate(self):
        for frame in frames(self):
            if frame.index == 5:  # window 1 (0-3, context 4) is out; this frame is only for window 2
                _ctrl_c()
            yield frame

    monkeypatch.setattr(VideoFileSource, '__iter__', iterate)
    line, partial = _run(cli, clip, tmp_path, capsys, monkeypatch, _at(0, 'never'))
    assert line == f'interrupted: the 4 frames finished so far are in {partial}'
    assert _frames(partial) == 4


def test_while_a_frame_is_being_encoded(cli, clip, tmp_path, capsys, monkeypatch):
    """Ctrl-C in the middle of writing frame 6 is held until that frame is in the file."""
    write = VideoFileSink.write

    def write_with_interrupt(self, rgb, pts):
        if self.frames_written == 5:
            _ctrl_c()
        write(self, rgb, pts)

    monkeypatch.setattr(VideoFileSink, 'write', write_with_interrupt)
    line, partial = _run(cli, clip, tmp_path, capsys, monkeypatch, _at(0, 'never'))
    assert line == f'interrupted: the 6 frames finished so far are in {partial}'
    assert _frames(partial) == 6


def test_existing_output_survives_an_interrupted_overwrite(cli, clip, tmp_path, capsys, monkeypatch):
    dst = tmp_path / 'out.mkv'
    dst.write_bytes(b'the previous result')
    monkeypatch.setattr(cli, 'load_generator', lambda args, device: HookedVSR(_at(3, 'middle')))
    assert cli.main([str(clip), str(dst), '--overwrite'] + ARGS) == 130
    assert dst.read_bytes() == b'the previous result'
    assert _frames(tmp_path / 'out.partial.mkv') == 4


def test_the_script_during_its_imports(tmp_path):
    """The script as a user runs it (tool entry and exit included), Ctrl-C while iart_mm is imported."""
    driver = tmp_path / 'driver.py'
    driver.write_text(textwrap.dedent(f'''
        import importlib.abc, runpy, signal, sys

        class CtrlCOnImport(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == 'iart_mm':  # the tool's first import of the library
                    signal.raise_signal(signal.SIGINT)
                return None

        sys.meta_path.insert(0, CtrlCOnImport())
        sys.argv = ['inference_video.py', {str(tmp_path / 'missing.mkv')!r}, {str(tmp_path / 'out.mkv')!r}]
        sys.path.insert(0, {str(REPO_DIR / 'tools')!r})
        runpy.run_path({str(REPO_DIR / 'tools' / 'inference_video.py')!r}, run_name='__main__')
    '''))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_DIR), os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run([sys.executable, str(driver)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 130 and proc.stderr.strip().splitlines() == ['interrupted: nothing was written'], \
        proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ['driver.py']

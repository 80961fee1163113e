"""What tools/inference_video.py shows while it runs a 47-frame video: model loading and warm-up as their own
steps, a bar whose total is 47 (said to be an estimate for an MKV) from its first line, an ETA taken from
frames actually processed, and a warning on its own line.

Time is a fake clock that the stand-in model advances (model loading 300 s, a 900 s first call, 0.5 s per
frame after it), so the figures are exact and nothing is timed."""
import logging
import re
import sys
from fractions import Fraction

import pytest

from iart_mm.video.synthetic import make_synthetic_video
from tiny_video_models import HookedVSR


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    return make_synthetic_video(tmp_path_factory.mktemp('progress') / 'in.mkv', num_frames=47, width=32,
                                height=32, fps=Fraction(24000, 1001), audio_codec='aac',
                                subtitles=[(0.1, 0.5, 'cue')])


def _seconds(text):
    parts = [int(p) for p in text.split(':')]
    return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))


def test_progress_of_a_47_frame_run(cli, clip, tmp_path, capsys, monkeypatch):
    clock = Clock()
    monkeypatch.setattr('tqdm.std.time', clock)
    monkeypatch.setattr('iart_mm.video.progress.monotonic', clock)

    def hook(call, lrs, where):
        if where != 'start':
            return
        clock.now += 900 if call == 1 else 0.5 * lrs.shape[1]
        if call == 3:
            logging.getLogger('iart_mm.test').warning('a warning in the middle of the run')

    def load(args, device):
        clock.now += 300
        return HookedVSR(hook)

    monkeypatch.setattr(cli, 'load_generator', load)
    console = logging.StreamHandler(sys.stderr)  # what the tool's logging.basicConfig installs
    console.setFormatter(logging.Formatter('%(levelname)s: %(message)s'))
    logging.getLogger().addHandler(console)
    try:
        assert cli.main([str(clip), str(tmp_path / 'out.mkv'), '--min-size', '8']) == 0
    finally:
        logging.getLogger().removeHandler(console)
    err = capsys.readouterr().err
    lines = [segment.strip() for line in err.split('\n') for segment in line.split('\r') if segment.strip()]

    # the one-off steps are lines of their own, before the bar, with their own times
    assert lines[:4] == ['loading the model...', 'loading the model: done in 300.0 s',
                         'warming up the model...', 'warming up the model: done in 900.0 s']
    # the warning is a line of its own, not glued to the bar
    assert 'WARNING: a warning in the middle of the run' in lines

    bars = [re.search(r'(\d+)/about (\d+) \[([\d:]+)<([\d:?]+)', line) for line in lines if 'super-resolving' in line]
    assert bars and all(bars), lines
    done, totals = [int(b[1]) for b in bars], {int(b[2]) for b in bars}
    assert totals == {47} and done[0] == 0 and done[-1] == 47  # 47 (about) from the first line on
    assert sorted(set(done)) == [0, 16, 32, 47]  # one update per window of 16 frames
    wall = _seconds(bars[-1][3])
    assert wall == int(0.5 * (20 + 24 + 19))  # the three windows (with context), nothing else (whole s)
    for previous, bar in zip(bars, bars[1:]):
        eta, elapsed = _seconds(bar[4]), _seconds(bar[3])
        assert eta <= 10 * wall
        if bar[1] != previous[1]:  # just updated (not a redraw under a log line, mid-window)
            # the ETA comes from the frames processed: within 2x of the time the rest of the run took
            assert (wall - elapsed) / 2 <= eta <= 2 * (wall - elapsed) + 1
    assert 'wrote 47 frames' in lines[-1]

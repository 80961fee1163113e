"""``TestProgressHook``: one line per clip with the clip's name, its frames and the time left."""
from types import SimpleNamespace

import torch

from iart_mm.engine.hooks import TestProgressHook
from mmagic.structures import DataSample


def test_logs_each_clip_with_the_time_left(monkeypatch):
    lines = []
    monkeypatch.setattr('iart_mm.engine.hooks.test_progress_hook.print_log', lambda msg, logger: lines.append(msg))
    runner = SimpleNamespace(test_loop=SimpleNamespace(_total_length=3))
    hook = TestProgressHook(min_interval_s=0)
    hook.before_test(runner)
    for clip in ('calendar', 'city', 'walk'):
        sample = DataSample(metainfo=dict(img_path=[f'/data/Vid4/BIx4/{clip}/00000000.png']))
        batch = dict(inputs=[torch.zeros(7, 3, 8, 8)], data_samples=[sample])
        hook.before_test_iter(runner, 0, batch)
        hook.after_test_iter(runner, 0, batch)
    assert [line.split(' in ')[0] for line in lines] == [
        'test 1/3: clip calendar (7 frames)', 'test 2/3: clip city (7 frames)', 'test 3/3: clip walk (7 frames)']
    assert 'left' in lines[0] and 'left' in lines[1] and 'left' not in lines[2]


def test_short_samples_are_logged_at_most_every_interval(monkeypatch):
    lines = []
    monkeypatch.setattr('iart_mm.engine.hooks.test_progress_hook.print_log', lambda msg, logger: lines.append(msg))
    runner = SimpleNamespace(test_loop=SimpleNamespace(_total_length=100))
    hook = TestProgressHook(min_interval_s=3600)
    hook.before_test(runner)
    for _ in range(100):
        hook.after_test_iter(runner, 0, dict(inputs=[torch.zeros(7, 3, 8, 8)], data_samples=[DataSample()]))
    assert [line.split(':')[0] for line in lines] == ['test 1/100', 'test 100/100']  # the first and the last

"""Temporal windows: each frame kept once and in order, context on both sides, bounded buffering."""
import pytest

from iart_mm.video.chunking import iter_windows


def _kept(windows):
    return [item for w in windows for item in w.core]


@pytest.mark.parametrize('n,chunk,context', [(1, 4, 2), (10, 4, 2), (10, 3, 0), (10, 20, 5), (9, 1, 3)])
def test_every_frame_kept_once_in_order(n, chunk, context):
    windows = list(iter_windows(range(n), chunk, context))
    assert _kept(windows) == list(range(n))
    for w in windows:
        first, last = w.core[0], w.core[-1]
        assert len(w.core) <= chunk
        # the window holds `context` neighbours each side wherever the clip has them
        assert w.items[0] == max(0, first - context)
        assert w.items[-1] == min(n - 1, last + context)


def test_whole_clip_when_chunk_is_zero():
    windows = list(iter_windows(iter(range(7)), 0, 3))
    assert len(windows) == 1 and windows[0].items == list(range(7)) and windows[0].core == list(range(7))


def test_reads_lazily_and_buffers_at_most_chunk_plus_two_contexts():
    consumed = []

    def frames():
        for i in range(1000):
            consumed.append(i)
            yield i

    chunk, context = 8, 3
    for w in iter_windows(frames(), chunk, context):
        assert len(w.items) <= chunk + 2 * context
        # never reads further than the window's right context
        assert len(consumed) <= w.items[-1] + 2
        if w.core[0] >= 100:
            break


def test_rejects_negative_arguments():
    with pytest.raises(ValueError, match='context'):
        list(iter_windows(range(3), 2, -1))
    with pytest.raises(ValueError, match='chunk'):
        list(iter_windows(range(3), -2, 1))

"""Streaming video super-resolution: PyAV decode/encode, overlapping temporal windows, spatial tiles.

- :mod:`.source` / :mod:`.sink`: read frames from a video file or folder; write a video (audio and
  subtitles copied) or PNG frames.
- :mod:`.chunking`: overlapping temporal windows (bounded memory); :mod:`.tiling`: feathered tiles;
  :mod:`.padding`: pad to the model's minimum size; :mod:`.precision`: device and fp16/bf16 with fallback.
- :mod:`.subtitles`: text subtitles as mov_text for MP4/MOV; :mod:`.progress`: steps and the frame bar;
  :mod:`.interrupts`: Ctrl-C held while a frame or a file is being finished.
- :mod:`.pipeline`: the loop tying them together. The user-facing API is
  :func:`iart_mm.apis.video_inference.super_resolve_video`.
"""
from .chunking import Window, iter_windows
from .errors import VideoError, VideoIncompleteError, VideoInputError, VideoInterrupted, VideoOutputError
from .interrupts import InterruptGuard
from .padding import crop_output, pad_to_min_size
from .pipeline import WindowRestorer, run_stream
from .precision import PrecisionRunner, select_device
from .sink import PngFolderSink, VideoFileSink
from .source import FrameFolderSource, SourceFrame, VideoFileSource, open_source
from .tiling import tile_starts, tiled_forward

__all__ = [
    'Window', 'iter_windows', 'VideoError', 'VideoIncompleteError', 'VideoInputError', 'VideoInterrupted',
    'VideoOutputError', 'InterruptGuard', 'crop_output',
    'pad_to_min_size', 'WindowRestorer', 'run_stream', 'PrecisionRunner', 'select_device', 'PngFolderSink',
    'VideoFileSink', 'FrameFolderSource', 'SourceFrame', 'VideoFileSource', 'open_source', 'tile_starts',
    'tiled_forward'
]

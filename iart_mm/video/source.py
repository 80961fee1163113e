"""Streaming frame sources: a video file decoded through PyAV, or a folder of image frames.

Both yield :class:`SourceFrame` one at a time (RGB uint8 (h, w, 3) plus its timestamp), so nothing holds
the whole clip in memory.
"""
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator, Optional

import av
import cv2
import numpy as np

from .errors import VideoInputError

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')


@dataclass
class SourceFrame:
    """One decoded frame: ``rgb`` (h, w, 3) uint8 RGB; ``pts`` in units of the source ``time_base``."""
    index: int
    rgb: np.ndarray
    pts: int


class VideoFileSource:
    """Decode the first video stream of any file FFmpeg (through PyAV) can read.

    Attributes: ``width``, ``height``, ``fps`` (Fraction), ``time_base`` (Fraction), ``num_frames`` (best
    estimate, None when unknown), ``path``.
    """

    is_video_file = True

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.exists():
            raise VideoInputError(f'input not found: {self.path}')
        try:
            container = av.open(str(self.path), 'r')
        except (av.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
            raise VideoInputError(f'cannot read {self.path} as a video: {_short(exc)}') from None
        try:
            if not container.streams.video:
                raise VideoInputError(f'{self.path} has no video stream (not a video)')
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            if not rate:
                raise VideoInputError(f'{self.path}: cannot determine the frame rate of its video stream')
            self.fps = Fraction(rate)
            self.time_base = Fraction(stream.time_base) if stream.time_base else 1 / self.fps
            self.width = stream.codec_context.width
            self.height = stream.codec_context.height
            self.num_frames = _estimate_frames(stream, container, self.fps)
        finally:
            container.close()
        if not self.width or not self.height:
            raise VideoInputError(f'{self.path}: its video stream has no frame size (not a video)')

    def __iter__(self) -> Iterator[SourceFrame]:
        container = av.open(str(self.path), 'r')
        try:
            stream = container.streams.video[0]
            stream.thread_type = 'AUTO'
            step = max(1, round(1 / (self.fps * self.time_base)))
            last_pts = None
            index = 0
            try:
                for frame in container.decode(stream):
                    pts = frame.pts
                    if pts is None:  # some raw/elementary streams carry no timestamps: make them regular
                        pts = 0 if last_pts is None else last_pts + step
                    last_pts = pts
                    yield SourceFrame(index, frame.to_ndarray(format='rgb24'), pts)
                    index += 1
            except av.FFmpegError as exc:
                raise VideoInputError(f'{self.path}: decoding failed at frame {index}: {_short(exc)}') from None
            if index == 0:
                raise VideoInputError(f'{self.path}: no frame could be decoded (not a video)')
        finally:
            container.close()


class FrameFolderSource:
    """Read a folder of image frames in sorted file-name order; timestamps are frame indices at ``fps``."""

    is_video_file = False

    def __init__(self, path, fps=25):
        self.path = Path(path)
        self.files = sorted((p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES),
                            key=_natural_key)
        if not self.files:
            raise VideoInputError(f'{self.path} holds no image frames ({", ".join(IMAGE_SUFFIXES)})')
        self.fps = Fraction(fps).limit_denominator(1001000)
        self.time_base = 1 / self.fps
        self.num_frames = len(self.files)
        first = self._read(self.files[0])
        self.height, self.width = first.shape[:2]

    def _read(self, file):
        bgr = cv2.imread(str(file), cv2.IMREAD_COLOR)
        if bgr is None:
            raise VideoInputError(f'cannot read image frame {file}')
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def __iter__(self) -> Iterator[SourceFrame]:
        for index, file in enumerate(self.files):
            rgb = self._read(file)
            if rgb.shape[:2] != (self.height, self.width):
                raise VideoInputError(f'{file} is {rgb.shape[1]}x{rgb.shape[0]}, '
                                      f'the first frame is {self.width}x{self.height}: all frames must match')
            yield SourceFrame(index, rgb, index)


def open_source(path, fps: Optional[float] = None):
    """Open ``path`` as a frame folder (directory) or a video file; ``fps`` applies to folders only."""
    path = Path(path)
    if path.is_dir():
        return FrameFolderSource(path, fps=fps or 25)
    return VideoFileSource(path)


def _natural_key(path):
    """'frame2.png' before 'frame10.png' (plain sorting would shuffle unpadded numbering)."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r'(\d+)', path.name)]


def _estimate_frames(stream, container, fps):
    if stream.frames:
        return int(stream.frames)
    if stream.duration and stream.time_base:
        return max(1, round(float(stream.duration * stream.time_base * fps)))
    if container.duration:
        return max(1, round(container.duration / av.time_base * float(fps)))
    return None


def _short(exc):
    """FFmpeg errors carry errno + path; keep the first line of the message only."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__

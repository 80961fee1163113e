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

    Attributes: ``width``, ``height``, ``fps`` (Fraction), ``time_base`` (Fraction), ``path``;
    ``num_frames``: the frame count (None when unknown), ``num_frames_exact``: True when the container
    states it, False when it is estimated from a duration.

    After an iteration, ``frames_read`` says how many frames were decoded and ``incomplete`` is None or a
    one-line account of why the input looks truncated or corrupt: a decode error part-way, or fewer frames
    than the container's count (or its duration) says it holds. The frames read before that are yielded
    normally, so a caller can keep their output; deciding what to do is the caller's business.
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
            count = _frame_count(stream, container, self.fps)
            self.num_frames, self.num_frames_exact, self._expected_duration, self._slack = count
        finally:
            container.close()
        if not self.width or not self.height:
            raise VideoInputError(f'{self.path}: its video stream has no frame size (not a video)')

    def __iter__(self) -> Iterator[SourceFrame]:
        self.frames_read, self.incomplete = 0, None
        container = av.open(str(self.path), 'r')
        try:
            stream = container.streams.video[0]
            stream.thread_type = 'AUTO'
            step = max(1, round(1 / (self.fps * self.time_base)))
            first_pts = last_pts = None
            index = 0
            decoded = _decode(container, stream)
            for frame in decoded:
                pts = frame.pts
                if pts is None:  # some raw/elementary streams carry no timestamps: make them regular
                    pts = 0 if last_pts is None else last_pts + step
                first_pts = pts if first_pts is None else first_pts
                last_pts = pts
                yield SourceFrame(index, frame.to_ndarray(format='rgb24'), pts)
                index += 1
                self.frames_read = index
            if index == 0:
                reason = f': {_short(decoded.error)}' if decoded.error else ' (not a video)'
                raise VideoInputError(f'{self.path}: no frame could be decoded{reason}')
            if decoded.error is not None:
                listed = f' of the {self.num_frames} its container lists' if self.num_frames_exact else ''
                self.incomplete = f'reading failed after {index}{listed} frames ({_short(decoded.error)})'
            else:
                self.incomplete = self._shortfall(index, (last_pts - first_pts) * self.time_base + 1 / self.fps)
        finally:
            container.close()

    def _shortfall(self, frames_read, seconds_read):
        """None, or why ``frames_read`` frames covering ``seconds_read`` s are fewer than the file promised."""
        if self.num_frames_exact:
            if frames_read < self.num_frames:
                return f'read {frames_read} of the {self.num_frames} frames its container lists'
            return None
        if self._expected_duration is not None and seconds_read < self._expected_duration - self._slack:
            return (f'read {frames_read} frames ({float(seconds_read):.2f} s) where its duration says about '
                    f'{self.num_frames} ({float(self._expected_duration):.2f} s)')
        return None


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
        self.num_frames_exact = True
        self.frames_read, self.incomplete = 0, None  # an unreadable frame is an error, never a short read
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
            self.frames_read = index + 1


def open_source(path, fps: Optional[float] = None):
    """Open ``path`` as a frame folder (directory) or a video file; ``fps`` applies to folders only."""
    path = Path(path)
    if path.is_dir():
        return FrameFolderSource(path, fps=fps or 25)
    return VideoFileSource(path)


class _decode:
    """Iterate the decoded frames of ``stream``; a read or decode error ends the iteration (kept in
    ``error``) after the decoder has given up the frames it still held. Demuxing and decoding apart is
    what makes that possible: a threaded decoder holds several frames, which an error raised by
    ``container.decode()`` would lose."""

    def __init__(self, container, stream):
        self.container, self.stream, self.error = container, stream, None

    def __iter__(self):
        packets = self.container.demux(self.stream)
        while True:
            try:
                packet = next(packets, None)
                if packet is None:
                    return
                frames = self.stream.decode(packet)
            except av.FFmpegError as exc:
                self.error = exc
                break
            yield from frames
        try:
            yield from self.stream.decode(None)
        except av.FFmpegError:
            pass


def _natural_key(path):
    """'frame2.png' before 'frame10.png' (plain sorting would shuffle unpadded numbering)."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r'(\d+)', path.name)]


def _frame_count(stream, container, fps):
    """``(frames, exact, duration_s, slack_s)`` of a video stream.

    An exact count comes from the container's own frame count (MP4 sample tables, MKV statistics tags).
    Otherwise the count is estimated from a duration: the video stream's own (MKV ``DURATION`` tag) ends
    with its last frame, so a shortfall beyond two frames means frames are missing; the container's
    duration spans all streams (audio may run on), so it is trusted only to within 0.5 s or 5%.
    """
    if stream.frames:
        return int(stream.frames), True, None, None
    tags = {key.upper(): value for key, value in stream.metadata.items()}
    tagged = next((value for key, value in tags.items() if key.split('-')[0] == 'NUMBER_OF_FRAMES'), None)
    if tagged is not None and str(tagged).isdigit() and int(tagged) > 0:
        return int(tagged), True, None, None
    frame = 1 / fps
    duration = None
    if stream.duration and stream.time_base:
        duration = Fraction(stream.duration) * Fraction(stream.time_base)
    elif 'DURATION' in tags:
        duration = _parse_clock(tags['DURATION'])
    if duration:
        return max(1, round(duration * fps)), False, duration, 2 * frame
    if container.duration:
        duration = Fraction(container.duration, av.time_base)
        return max(1, round(duration * fps)), False, duration, max(Fraction(1, 2), duration / 20, 2 * frame)
    return None, False, None, None


def _parse_clock(text):
    """'HH:MM:SS.fraction' (Matroska's per-track DURATION tag) -> seconds (Fraction), None if malformed."""
    match = re.fullmatch(r'(\d+):(\d{2}):(\d{2}(?:\.\d+)?)', str(text).strip())
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return Fraction(int(hours) * 3600 + int(minutes) * 60) + Fraction(seconds)


def _short(exc):
    """FFmpeg errors carry errno + path; keep their reason (or the first line of the message) only."""
    if isinstance(exc, av.FFmpegError) and getattr(exc, 'strerror', None):
        return exc.strerror
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__

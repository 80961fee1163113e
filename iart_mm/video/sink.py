"""Streaming frame sinks: an encoded video file (PyAV) that also copies audio/subtitles, or PNG frames.

A sink is given super-resolved frames one at a time (``write(rgb, pts)``) and is closed with ``close()``,
which flushes the encoder and writes the container trailer, so a run stopped early (Ctrl-C) still leaves a
playable file holding every frame written so far.
"""
import logging
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from . import subtitles
from .errors import VideoOutputError

logger = logging.getLogger(__name__)

# Encoders whose quality knob is a CRF value.
CRF_CODECS = ('libx264', 'libx265', 'h264', 'hevc', 'libvpx-vp9', 'libaom-av1', 'libsvtav1')


class VideoFileSink:
    """Encode RGB uint8 (H, W, 3) frames into ``path`` with the source's time base and timestamps.

    Audio and subtitle streams of ``copy_from`` (a video file path, or None) are remuxed without
    re-encoding, interleaved by time with the video. Text subtitles an MP4/MOV cannot hold in their own
    codec (SubRip, ASS, WebVTT) become ``mov_text`` with the same cues and timings; other streams the
    output container cannot hold are skipped with a warning.
    """

    def __init__(self, path, width, height, fps, time_base, codec='libx264', crf=18, pix_fmt='yuv420p',
                 copy_from=None, container_format=None):
        self.path = Path(path)
        self.time_base = Fraction(time_base)
        try:
            self.container = av.open(str(self.path), 'w', format=container_format)
        except (av.FFmpegError, ValueError) as exc:
            raise VideoOutputError(f'cannot create video {self.path}: {exc}') from None
        try:
            self.stream = self._add_video_stream(codec, fps, width, height, pix_fmt, crf)
            self._src, self._copy_map, self._convert, self._packets = None, {}, {}, None
            if copy_from is not None:
                self._open_copy(copy_from)
        except BaseException:
            self.container.close()
            raise
        self.frames_written = 0
        self._last_time = None
        self._pending = None  # next side-stream packet not yet muxed (its time is after the video so far)

    def _add_video_stream(self, codec, fps, width, height, pix_fmt, crf):
        try:
            stream = self.container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001000))
        except (av.FFmpegError, ValueError, KeyError) as exc:
            raise VideoOutputError(f'unknown or unavailable video codec {codec!r}: {exc}') from None
        stream.width, stream.height = width, height
        stream.pix_fmt = pix_fmt
        stream.time_base = self.time_base
        stream.codec_context.time_base = self.time_base
        if crf is not None and codec in CRF_CODECS:
            stream.options = {'crf': str(crf)}
        return stream

    def _open_copy(self, copy_from):
        self._src = av.open(str(copy_from), 'r')
        supported = self.container.supported_codecs
        for in_stream in self._src.streams:
            if in_stream.type not in ('audio', 'subtitle'):
                continue
            name = in_stream.codec_context.name
            if in_stream.type == 'subtitle' and name not in supported and subtitles.can_convert(
                    name, self.container):
                self._copy_map[in_stream.index] = subtitles.add_mov_text_stream(self.container)
                self._convert[in_stream.index] = name
                logger.info('subtitle stream #%d (%s) is written as mov_text', in_stream.index, name)
                continue
            if name not in supported:
                logger.warning('not copying %s stream #%d (%s): the %s container cannot hold it',
                               in_stream.type, in_stream.index, name, self.container.format.name)
                continue
            self._copy_map[in_stream.index] = self.container.add_stream(template=in_stream)
        if self._copy_map:
            streams = [s for s in self._src.streams if s.index in self._copy_map]
            self._packets = self._src.demux(*streams)
        else:
            self._src.close()
            self._src = None

    def write(self, rgb: np.ndarray, pts: int):
        """Encode one RGB uint8 (H, W, 3) frame at ``pts`` (in the source time base)."""
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format='rgb24')
        frame.pts = pts
        frame.time_base = self.time_base
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
        self.frames_written += 1
        self._last_time = pts * self.time_base
        self._copy_side_streams(until=self._last_time)

    def _copy_side_streams(self, until=None):
        """Remux audio/subtitle packets with a time <= ``until`` (all remaining ones when None)."""
        if self._packets is None:
            return
        while True:
            packet = self._pending
            self._pending = None
            if packet is None:
                packet = next(self._packets, None)
                if packet is None:
                    self._packets = None
                    return
            if packet.dts is None and packet.pts is None:  # demuxer flush packets carry no data
                continue
            stamp = packet.pts if packet.pts is not None else packet.dts
            if until is not None and stamp * packet.time_base > until:
                self._pending = packet
                return
            index = packet.stream.index
            if index in self._convert:
                packet = subtitles.mov_text_packet(packet, self._convert[index], self._copy_map[index])
            else:
                packet.stream = self._copy_map[index]
            self.container.mux(packet)

    def close(self, complete=True):
        """Flush the encoder and finish the file. ``complete=False`` (interrupted run) copies side-stream
        packets only up to the last video frame written, so audio does not outlast the video."""
        try:
            for packet in self.stream.encode(None):
                self.container.mux(packet)
            if complete:
                self._copy_side_streams(until=None)
            elif self._last_time is not None:
                self._copy_side_streams(until=self._last_time)
        finally:
            self.container.close()
            if self._src is not None:
                self._src.close()


class PngFolderSink:
    """Write frames as ``%08d.png`` (by output frame index) into a folder."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.frames_written = 0

    def write(self, rgb: np.ndarray, pts: int):
        file = self.folder / f'{self.frames_written:08d}.png'
        if not cv2.imwrite(str(file), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
            raise VideoOutputError(f'cannot write {file}')
        self.frames_written += 1

    def close(self, complete=True):
        pass

"""Synthetic material for exercising the video pipeline without real files: :func:`make_synthetic_video`
writes a small clip (moving texture, a tone on an audio track, optional SubRip cues) with PyAV.

Used by the tests and the memory benchmark, so neither needs a video file.
"""
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def synthetic_frame(index: int, width: int, height: int) -> np.ndarray:
    """RGB uint8 (height, width, 3): smooth colour texture translating 1 px/frame right, 0.5 px down."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    x = x - index
    y = y - 0.5 * index
    red = 0.5 + 0.5 * np.sin(x / 5.0) * np.cos(y / 7.0)
    green = 0.5 + 0.5 * np.sin((x + y) / 9.0)
    blue = 0.5 + 0.5 * np.cos(x / 11.0 - y / 4.0)
    return (np.stack([red, green, blue], axis=-1) * 255).round().astype(np.uint8)


def make_synthetic_video(path, num_frames=12, width=72, height=64, fps=25, audio_codec='aac',
                         sample_rate=44100, video_codec='libx264', crf=10, subtitles=(), faststart=False):
    """Write a clip of ``num_frames`` frames of ``width`` x ``height`` at ``fps`` to ``path``.

    ``audio_codec`` (e.g. 'aac', 'mp2', None for no audio) adds a stereo 440 Hz tone lasting as long as
    the video. ``subtitles``: (start_s, end_s, text) cues, stored as a SubRip stream (needs a container
    that holds one, e.g. .mkv). ``faststart``: an MP4 with its index (and frame count) before the data.
    Returns ``path``.
    """
    path = Path(path)
    fps = Fraction(fps)
    options = {'movflags': 'faststart'} if faststart else {}
    with tempfile.TemporaryDirectory() as tmp, av.open(str(path), 'w', options=options) as container:
        srt = _open_srt(Path(tmp) / 'cues.srt', subtitles) if subtitles else None
        video = container.add_stream(video_codec, rate=fps)
        video.width, video.height, video.pix_fmt = width, height, 'yuv420p'
        if crf is not None and video_codec == 'libx264':
            video.options = {'crf': str(crf)}
        audio = None
        if audio_codec:
            audio = container.add_stream(audio_codec, rate=sample_rate, layout='stereo')
        if srt is not None:  # PyAV cannot encode subtitles: they are remuxed from a SubRip file
            stream = container.add_stream(template=srt.streams[0])
        for index in range(num_frames):
            frame = av.VideoFrame.from_ndarray(synthetic_frame(index, width, height), format='rgb24')
            frame.pts = index
            frame.time_base = 1 / fps
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if audio is not None:
            _write_tone(container, audio, num_samples=int(num_frames / fps * sample_rate))
        if srt is not None:
            for packet in srt.demux():
                if packet.dts is not None:
                    packet.stream = stream
                    container.mux(packet)
            srt.close()
    return path


def _open_srt(file, cues):
    def stamp(seconds):
        ms = round(seconds * 1000)
        return f'{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}'

    file.write_text(''.join(f'{i}\n{stamp(a)} --> {stamp(b)}\n{text}\n\n'
                            for i, (a, b, text) in enumerate(cues, 1)))
    return av.open(str(file))


def _write_tone(container, stream, num_samples, block=1024):
    rate = stream.codec_context.sample_rate
    fmt = stream.codec_context.format.name
    for start in range(0, num_samples, block):
        count = min(block, num_samples - start)
        t = (np.arange(start, start + count) / rate).astype(np.float32)
        tone = 0.2 * np.sin(2 * np.pi * 440 * t)
        if fmt == 'fltp':
            samples = np.stack([tone, tone]).astype(np.float32)
        elif fmt == 's16':  # packed: (1, samples * channels)
            samples = (np.repeat(tone, 2)[None] * 32767).astype(np.int16)
        else:
            raise ValueError(f'unsupported sample format {fmt} of {stream.codec_context.name}')
        frame = av.AudioFrame.from_ndarray(samples, format=fmt, layout='stereo')
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


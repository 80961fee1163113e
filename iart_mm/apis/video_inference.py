"""Python API: super-resolve a video file or frame folder into a video file or PNG frames, streaming.

Example::

    from iart_mm.apis import init_default_basicvsr
    from iart_mm.apis.video_inference import super_resolve_video
    model = init_default_basicvsr()
    super_resolve_video(model, 'in.mp4', 'out.mp4', chunk=16, context=4, tile=256)
"""
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch

from .inference import MIN_LR_SIZE
from iart_mm.video import (PngFolderSink, VideoFileSink, VideoOutputError, WindowRestorer, open_source,
                           run_stream, select_device)

logger = logging.getLogger(__name__)

VIDEO_SUFFIXES = ('.mp4', '.mkv', '.mov', '.avi', '.webm', '.m4v', '.ts', '.mts', '.flv', '.nut')


@dataclass
class VideoResult:
    """What a finished run produced: ``frames_written`` frames at ``path``; ``fell_back_to_fp32`` when
    half precision gave NaN/inf and the run went on in fp32."""
    path: Path
    frames_written: int
    fell_back_to_fp32: bool = False


def output_kind(dst, output: str = 'auto') -> str:
    """'video' or 'png': ``output`` when given, else 'video' for a known video suffix, 'png' otherwise."""
    if output in ('video', 'png'):
        return output
    if output != 'auto':
        raise VideoOutputError(f"output must be 'auto', 'video' or 'png', got {output!r}")
    return 'video' if Path(dst).suffix.lower() in VIDEO_SUFFIXES else 'png'


def check_output_path(dst, kind: str, overwrite: bool, src=None):
    """Refuse (VideoOutputError) an output that exists unless ``overwrite``; nothing is touched."""
    dst = Path(dst)
    if src is not None and dst.resolve() == Path(src).resolve():
        raise VideoOutputError(f'output {dst} is the input itself')
    if kind == 'video':
        if dst.is_dir():
            raise VideoOutputError(f'output {dst} is a folder; give a video file name or use PNG output')
        if dst.exists() and not overwrite:
            raise VideoOutputError(f'output {dst} already exists (use --overwrite / overwrite=True)')
    else:
        if dst.exists() and not dst.is_dir():
            raise VideoOutputError(f'output {dst} exists and is not a folder (PNG output needs a folder)')
        if dst.is_dir() and any(dst.iterdir()) and not overwrite:
            raise VideoOutputError(f'output folder {dst} is not empty (use --overwrite / overwrite=True)')


def super_resolve_video(generator: torch.nn.Module, src, dst, *, chunk: Optional[int] = 16, context: int = 4,
                        tile: Optional[int] = None, tile_overlap: int = 16, min_size: int = MIN_LR_SIZE,
                        device: Optional[str] = None, precision: str = 'fp32', output: str = 'auto',
                        codec: str = 'libx264', crf: Optional[int] = 18, pix_fmt: str = 'yuv420p',
                        fps: Optional[float] = None, copy_streams: bool = True, overwrite: bool = False,
                        progress: bool = True) -> VideoResult:
    """Super-resolve ``src`` into ``dst`` in temporal windows, never holding the whole clip in memory.

    Args:
        generator: nn.Module mapping (n, t, 3, h, w) RGB in [0, 1] to (n, t, 3, s*h, s*w).
        src: a video file (anything FFmpeg decodes) or a folder of frames.
        dst: a video file (e.g. .mp4/.mkv) or, for PNG output, a folder (written as %08d.png).
        chunk: output frames per window (0/None: whole clip in one pass, unbounded memory).
        context: extra frames each side of a window fed to the model and discarded (temporal overlap).
        tile / tile_overlap: LR tile size (None: whole frames) and the overlap blended between tiles.
        min_size: the model's minimum LR h, w; smaller frames are padded and the output cropped.
        device: 'cuda' | 'mps' | 'cpu' | None (auto: cuda, then mps, then cpu).
        precision: 'fp32' | 'fp16' | 'bf16'; half precision falls back to fp32 when an output is NaN/inf.
        output: 'auto' (from the suffix of ``dst``), 'video' or 'png'.
        codec / crf / pix_fmt: video encoder settings (default H.264, CRF 18, yuv420p).
        fps: frame rate for a frame-folder input (default 25); a video keeps its own rate and timestamps.
        copy_streams: copy the audio and subtitle streams of a video input.
        overwrite: replace an existing ``dst``; without it an existing output is refused untouched.
        progress: show a progress bar (frames/s, ETA) on stderr.

    Returns:
        VideoResult. Ctrl-C finishes the file written so far (playable) and re-raises KeyboardInterrupt.
        A failure leaves no partial output and an existing ``dst`` untouched.
    """
    if chunk is not None and chunk < 0 or context < 0:
        raise ValueError(f'chunk and context must be >= 0, got chunk={chunk}, context={context}')
    src, dst = Path(src), Path(dst)
    kind = output_kind(dst, output)
    check_output_path(dst, kind, overwrite, src)
    source = open_source(src, fps=fps)
    restorer = WindowRestorer(generator, select_device(device), precision, tile=tile,
                              tile_overlap=tile_overlap, min_size=min_size)
    if kind == 'video':
        return _run_to_video(source, restorer, dst, chunk, context, progress,
                             dict(fps=source.fps, time_base=source.time_base, codec=codec, crf=crf,
                                  pix_fmt=pix_fmt,
                                  copy_from=source.path if copy_streams and source.is_video_file else None))
    return _run_to_png(source, restorer, dst, chunk, context, progress)


def _run_to_video(source, restorer, dst, chunk, context, progress, sink_args):
    # Written beside dst under a hidden name and moved into place at the end, so a failure never
    # replaces an existing file; the same suffix keeps the container format.
    dst.parent.mkdir(parents=True, exist_ok=True)
    partial = dst.with_name(f'.{dst.stem}.partial{dst.suffix}')
    container_format = 'mp4' if dst.suffix.lower() == '.m4v' else None
    try:
        _, written = run_stream(
            source, restorer,
            lambda width, height: VideoFileSink(partial, width, height, container_format=container_format,
                                                **sink_args),
            chunk, context, total=source.num_frames, progress=progress)
    except KeyboardInterrupt:
        if partial.exists():
            os.replace(partial, dst)
            logger.warning('interrupted: %s holds the frames written so far', dst)
        raise
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, dst)
    return VideoResult(dst, written, fell_back_to_fp32=restorer.runner.fell_back)


def _run_to_png(source, restorer, dst, chunk, context, progress):
    created = not dst.exists()
    try:
        _, written = run_stream(source, restorer, lambda width, height: PngFolderSink(dst), chunk, context,
                                total=source.num_frames, progress=progress)
    except KeyboardInterrupt:  # Ctrl-C keeps the frames written so far
        raise
    except BaseException:
        if created and dst.exists():  # only a folder this run made is removed
            shutil.rmtree(dst)
        raise
    return VideoResult(dst, written, fell_back_to_fp32=restorer.runner.fell_back)

"""Python API: super-resolve a video file or frame folder into a video file or PNG frames, streaming.

Example::

    from iart_mm.apis import init_default_basicvsr
    from iart_mm.apis.video_inference import super_resolve_video
    model = init_default_basicvsr()
    super_resolve_video(model, 'in.mp4', 'out.mp4', chunk=16, context=4, tile=256)

Outputs are written under a hidden name and moved into place only when complete, so a file at the
output path is always a whole result. What a run did not finish is kept beside it as ``NAME.partial.EXT``:
after Ctrl-C (:class:`~iart_mm.video.VideoInterrupted`) and when the input turns out truncated or corrupt
(:class:`~iart_mm.video.VideoIncompleteError`, unless ``allow_partial``).
"""
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Union

import av
import torch

from .inference import MIN_LR_SIZE
from iart_mm.video import (InterruptGuard, PngFolderSink, VideoFileSink, VideoIncompleteError, VideoInterrupted,
                           VideoOutputError, WindowRestorer, open_source, run_stream, select_device)
from iart_mm.video.progress import step

logger = logging.getLogger(__name__)

VIDEO_SUFFIXES = ('.mp4', '.mkv', '.mov', '.avi', '.webm', '.m4v', '.ts', '.mts', '.flv', '.nut')

Backend = Callable[[torch.Tensor], torch.Tensor]
"""The model call: (n, t, 3, h, w) float32 in [0, 1] on the run's device -> (n, t, 3, s*h, s*w) float.
An ``nn.Module`` generator is one (run under no_grad at the chosen precision); a session of another runtime
wrapped in a function with this contract is another. Such a callable may define ``warm_up()``, used instead
of the default warm-up call on 2 frames at the minimum size."""


@dataclass
class VideoResult:
    """What a finished run produced: ``frames_written`` frames at ``path``; ``fell_back_to_fp32`` when
    half precision gave NaN/inf and the run went on in fp32; ``incomplete`` is None, or (with
    ``allow_partial``) why the input looked truncated or corrupt."""
    path: Path
    frames_written: int
    fell_back_to_fp32: bool = False
    incomplete: Optional[str] = None


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


def super_resolve_video(generator: Union[torch.nn.Module, Backend], src, dst, *, chunk: Optional[int] = 16,
                        context: int = 4, tile: Optional[int] = None, tile_overlap: int = 16,
                        min_size: int = MIN_LR_SIZE, device: Optional[str] = None, precision: str = 'fp32',
                        output: str = 'auto', codec: str = 'libx264', crf: Optional[int] = 18,
                        pix_fmt: str = 'yuv420p', fps: Optional[float] = None, copy_streams: bool = True,
                        overwrite: bool = False, allow_partial: bool = False, progress: bool = True,
                        warm_up: bool = True) -> VideoResult:
    """Super-resolve ``src`` into ``dst`` in temporal windows, never holding the whole clip in memory.

    Args:
        generator: the model call (:data:`Backend`): an nn.Module mapping (n, t, 3, h, w) RGB in [0, 1] to
            (n, t, 3, s*h, s*w), or any callable with that contract.
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
        copy_streams: copy the audio and subtitle streams of a video input (text subtitles become
            mov_text in MP4/MOV).
        overwrite: replace an existing ``dst``; without it an existing output is refused untouched.
        allow_partial: accept the frames of a truncated or corrupt input as the result (a warning is
            logged) instead of raising VideoIncompleteError.
        progress: show the warm-up step and a progress bar (frames/s, ETA) on stderr.
        warm_up: run the model once on a tiny input before the first window (shown as its own step).

    Returns:
        VideoResult.

    Raises:
        VideoIncompleteError: the input ended before its container's frame count or duration said, or
            failed to decode part-way; the output of the frames read is kept in ``error.partial``.
        VideoInterrupted: Ctrl-C; ``path`` is the playable partial output holding exactly
            ``frames_written`` frames, or None when nothing was written.
        VideoError: bad input/output; an existing ``dst`` is left untouched and nothing partial remains.
    """
    if chunk is not None and chunk < 0 or context < 0:
        raise ValueError(f'chunk and context must be >= 0, got chunk={chunk}, context={context}')
    src, dst = Path(src), Path(dst)
    kind = output_kind(dst, output)
    check_output_path(dst, kind, overwrite, src)
    source = open_source(src, fps=fps)
    restorer = WindowRestorer(generator, select_device(device), precision, tile=tile,
                              tile_overlap=tile_overlap, min_size=min_size)
    with InterruptGuard() as guard:
        try:
            if warm_up:
                with step('warming up the model', progress):
                    restorer.warm_up()
        except KeyboardInterrupt:
            raise VideoInterrupted(0) from None
        stream_args = dict(chunk=chunk, context=context, total=source.num_frames,
                           total_exact=source.num_frames_exact, progress=progress, guard=guard)
        if kind == 'video':
            sink_args = dict(fps=source.fps, time_base=source.time_base, codec=codec, crf=crf, pix_fmt=pix_fmt,
                             copy_from=source.path if copy_streams and source.is_video_file else None)
            return _run_to_video(source, restorer, dst, stream_args, sink_args, allow_partial)
        return _run_to_png(source, restorer, dst, stream_args, allow_partial)


def _run_to_video(source, restorer, dst, stream_args, sink_args, allow_partial):
    # Written beside dst under a hidden name and moved into place when complete, so a failure or an
    # interruption never replaces an existing file; the same suffix keeps the container format.
    dst.parent.mkdir(parents=True, exist_ok=True)
    hidden = dst.with_name(f'.{dst.stem}.partial{dst.suffix}')
    container_format = 'mp4' if dst.suffix.lower() == '.m4v' else None
    guard = stream_args['guard']
    written = None
    try:
        _, written = run_stream(
            source, restorer,
            lambda width, height: VideoFileSink(hidden, width, height, container_format=container_format,
                                                **sink_args), **stream_args)
        with guard.hold():
            if source.incomplete and not allow_partial:
                partial = _keep_partial(hidden, dst, written)
                raise _incomplete_error(source, written, partial, 'are in', 'its output was not written')
            if source.incomplete:
                logger.warning('%s looks truncated or corrupt: %s; the output holds the %d frames read',
                               source.path, source.incomplete, written)
            os.replace(hidden, dst)
    except KeyboardInterrupt as exc:
        guard.ignore_further()
        frames = exc.frames_written if isinstance(exc, VideoInterrupted) else written or 0
        path = _keep_partial(hidden, dst, frames)
        raise VideoInterrupted(frames if path else 0, path) from None
    except BaseException:
        hidden.unlink(missing_ok=True)
        raise
    return VideoResult(dst, written, fell_back_to_fp32=restorer.fell_back, incomplete=source.incomplete)


def _run_to_png(source, restorer, dst, stream_args, allow_partial):
    created = not dst.exists()
    written = None
    try:
        _, written = run_stream(source, restorer, lambda width, height: PngFolderSink(dst), **stream_args)
    except KeyboardInterrupt as exc:  # Ctrl-C keeps the frames written so far
        stream_args['guard'].ignore_further()
        frames = exc.frames_written if isinstance(exc, VideoInterrupted) else written or 0
        if frames == 0 and created and dst.exists():
            shutil.rmtree(dst)
        raise VideoInterrupted(frames, dst if frames else None) from None
    except BaseException:
        if created and dst.exists():  # only a folder this run made is removed
            shutil.rmtree(dst)
        raise
    if source.incomplete and not allow_partial:
        raise _incomplete_error(source, written, dst, 'are in', 'the folder holds only those')
    if source.incomplete:
        logger.warning('%s looks truncated or corrupt: %s', source.path, source.incomplete)
    return VideoResult(dst, written, fell_back_to_fp32=restorer.fell_back, incomplete=source.incomplete)


def _incomplete_error(source, written, partial, verb, otherwise):
    where = f'the {written} frames read {verb} {partial}' if partial else otherwise
    return VideoIncompleteError(
        f'{source.path} looks truncated or corrupt: {source.incomplete}; {where} '
        f'(--allow-partial / allow_partial=True accepts them)', frames_read=written, partial=partial)


def _keep_partial(hidden: Path, dst: Path, frames: int) -> Optional[Path]:
    """Move the unfinished ``hidden`` file to a free ``NAME.partial.EXT`` beside ``dst`` if it holds
    frames and plays; otherwise remove it. Returns the kept path or None."""
    if not frames or not _playable(hidden):
        hidden.unlink(missing_ok=True)
        return None
    kept = dst.with_name(f'{dst.stem}.partial{dst.suffix}')
    number = 1
    while kept.exists():
        number += 1
        kept = dst.with_name(f'{dst.stem}.partial-{number}{dst.suffix}')
    os.replace(hidden, kept)
    return kept


def _playable(path: Path) -> bool:
    """Whether ``path`` opens as a video whose first frame decodes."""
    try:
        with av.open(str(path)) as container:
            return bool(container.streams.video) and next(container.decode(video=0), None) is not None
    except (av.FFmpegError, OSError, ValueError):
        return False

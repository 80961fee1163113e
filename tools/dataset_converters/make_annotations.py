"""Annotation (meta_info) files for MMagic's ``BasicFramesDataset``, BasicSR style: ``<clip> <frames> (h,w,c)``.

    python tools/dataset_converters/make_annotations.py reds4 REDS_GT_DIR OUT_DIR
        -> meta_info_reds4_train.txt (the 266 clips of train_sharp + val_sharp renumbered, minus REDS4) and
           meta_info_reds4_val.txt (REDS4 = clips 000, 011, 015, 020), the split of IART / BasicVSR
    python tools/dataset_converters/make_annotations.py vimeo90k SEP_LIST GT_DIR OUT_FILE
        -> e.g. meta_info_Vimeo90K_test_GT.txt from the official sep_testlist.txt ("00001/0266" per line);
           every septuplet must exist under GT_DIR
    python tools/dataset_converters/make_annotations.py folder GT_DIR OUT_FILE
        -> one line per clip folder (e.g. Vid4, UDM10)

Frame counts and sizes are read from the GT frames; nothing is overwritten.
"""
import argparse
import sys
from pathlib import Path

REDS4_CLIPS = ('000', '011', '015', '020')
IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp')


def clip_line(clip_dir, name):
    """``name n (h,w,c)`` for a folder of frames (size from its first frame)."""
    import cv2
    frames = sorted(p for p in Path(clip_dir).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not frames:
        raise FileNotFoundError(f'no frames in {clip_dir}')
    img = cv2.imread(str(frames[0]), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f'cannot read image {frames[0]}')
    h, w = img.shape[:2]
    c = 1 if img.ndim == 2 else img.shape[2]
    return f'{name} {len(frames)} ({h},{w},{c})'


def clip_dirs(gt_dir):
    gt_dir = Path(gt_dir)
    if not gt_dir.is_dir():
        raise FileNotFoundError(f'GT folder not found: {gt_dir}')
    dirs = sorted(p for p in gt_dir.iterdir() if p.is_dir())
    if not dirs:
        raise FileNotFoundError(f'no clip folders in {gt_dir}')
    return dirs


def write_new(path, lines):
    path = Path(path)
    if path.exists():
        raise FileExistsError(f'{path} already exists; not overwriting')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('\n'.join(lines) + '\n')
    return path


def reds4_split(gt_dir, out_dir):
    """Write the REDS4 train/val annotation files; returns their paths."""
    lines = {d.name: clip_line(d, d.name) for d in clip_dirs(gt_dir)}
    missing = [c for c in REDS4_CLIPS if c not in lines]
    if missing:
        raise FileNotFoundError(f'REDS4 clip(s) {missing} not found in {gt_dir}')
    train = [line for name, line in lines.items() if name not in REDS4_CLIPS]
    val = [lines[c] for c in REDS4_CLIPS]
    out_dir = Path(out_dir)
    return (write_new(out_dir / 'meta_info_reds4_train.txt', train),
            write_new(out_dir / 'meta_info_reds4_val.txt', val))


def vimeo90k_meta(sep_list, gt_dir, out_file):
    """Write a Vimeo-90K meta file (``00001/0266 7 (256,448,3)``) from an official sep_*list.txt."""
    sep_list, gt_dir = Path(sep_list), Path(gt_dir)
    if not sep_list.is_file():
        raise FileNotFoundError(f'list file not found: {sep_list}')
    names = [n.strip() for n in sep_list.read_text().splitlines() if n.strip()]
    if not names:
        raise ValueError(f'{sep_list} lists no clips')
    return write_new(out_file, [clip_line(gt_dir / n, n) for n in names])


def folder_meta(gt_dir, out_file):
    return write_new(out_file, [clip_line(d, d.name) for d in clip_dirs(gt_dir)])


def main(argv=None):
    p = argparse.ArgumentParser(description='Write meta_info annotation files for BasicFramesDataset')
    sub = p.add_subparsers(dest='cmd', required=True)
    r = sub.add_parser('reds4')
    r.add_argument('gt_dir')
    r.add_argument('out_dir')
    v = sub.add_parser('vimeo90k')
    v.add_argument('sep_list')
    v.add_argument('gt_dir')
    v.add_argument('out_file')
    f = sub.add_parser('folder')
    f.add_argument('gt_dir')
    f.add_argument('out_file')
    args = p.parse_args(argv)
    try:
        if args.cmd == 'reds4':
            written = reds4_split(args.gt_dir, args.out_dir)
        elif args.cmd == 'vimeo90k':
            written = (vimeo90k_meta(args.sep_list, args.gt_dir, args.out_file), )
        else:
            written = (folder_meta(args.gt_dir, args.out_file), )
    except (FileNotFoundError, FileExistsError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    print('wrote ' + ', '.join(map(str, written)))
    return 0


if __name__ == '__main__':
    sys.exit(main())

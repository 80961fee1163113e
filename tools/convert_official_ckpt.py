"""Convert a released checkpoint (IART, PSRT-recurrent, BasicSR BasicVSR, SPyNet) to an MMEngine checkpoint.

    python tools/convert_official_ckpt.py SRC DST [--use-ema] [--overwrite]

DST is a normal MMEngine checkpoint, ``dict(meta=..., state_dict={'generator.*': ...})``, that describes itself:
``meta['model']`` holds the model config the weights fit (inferred from the tensor shapes), so
``tools/inference_video.py --checkpoint DST``, ``tools/demo.py --checkpoint DST`` and ``tools/test.py DATA_CONFIG DST``
(a data-only test config such as configs/_base_/eval_vid4_bi.py) run it without a model config; a full config whose
model matches works too. Errors print ``error: ...`` and exit 2; DST is written only on success.
"""
import argparse
import os
import sys
import tempfile
from pathlib import Path

import torch


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog='docs/checkpoints.md: where the released weights are and how to run them')
    parser.add_argument('src', help='released checkpoint (.pth), a local path')
    parser.add_argument('dst', help='output MMEngine checkpoint (.pth)')
    parser.add_argument('--use-ema', action='store_true', help='read params_ema instead of params')
    parser.add_argument('--overwrite', action='store_true', help='replace DST if it exists')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    src, dst = Path(args.src), Path(args.dst)
    try:
        if not src.is_file():
            raise FileNotFoundError(f'source checkpoint not found: {src}')
        if dst.exists() and not args.overwrite:
            raise FileExistsError(f'{dst} exists (pass --overwrite to replace it)')
        if dst.exists() and dst.resolve() == src.resolve():
            raise ValueError('DST must differ from SRC')
        from iart_mm.apis.official import official_to_mmengine
        ckpt = official_to_mmengine(src, use_ema=args.use_ema)
        dst.parent.mkdir(parents=True, exist_ok=True)
        # Write beside DST, then rename: a failure never leaves a half-written or clobbered DST.
        fd, tmp = tempfile.mkstemp(dir=dst.parent, suffix='.tmp')
        os.close(fd)
        try:
            torch.save(ckpt, tmp)
            # mkstemp creates the file 0600; give DST the mode any new file of this process gets
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, dst)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    except Exception as exc:  # noqa: BLE001  (CLI contract: one line, exit 2)
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f'error: {msg}', file=sys.stderr)
        return 2
    info = ckpt['meta']['iart_mm_official']
    print(f"converted {src} ({info['layout']}, {'params_ema' if args.use_ema else 'params'}) -> {dst}: "
          f"{len(ckpt['state_dict'])} tensors, dropped {len(info['dropped_keys'])} unused keys; "
          f"generator={info['generator']}")
    return 0


if __name__ == '__main__':
    sys.exit(main())

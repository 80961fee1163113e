"""Read clips from frame folders or video files, and write frames safely.

Frames are RGB uint8 (h, w, 3) numpy arrays; clips are lists of them in display order. Folders are read
in natural sorted order of file names (the release read them unsorted, which shuffles the clip).
"""
import re
import shutil
from pathlib import Path

import cv2
import numpy as np

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')


def _natural_key(path):
    return [int(s) if s.isdigit() else s.lower() for s in re.split(r'(\d+)', path.name)]


def read_clip(path, max_frames=None):
    """Read a frame folder or a video file.

    Returns:
        tuple[list[np.ndarray], list[str]]: RGB uint8 frames and their names (stems used for output files).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f'input not found: {path}')
    if path.is_dir():
        files = sorted((p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS), key=_natural_key)
        if not files:
            raise ValueError(f'no image files ({", ".join(IMAGE_EXTENSIONS)}) in folder {path}')
        files = files[:max_frames]
        frames = []
        for f in files:
            img = cv2.imread(str(f), cv2.IMREAD_COLOR)
            if img is None:
                raise ValueError(f'unreadable image: {f}')
            frames.append(np.ascontiguousarray(img[:, :, ::-1]))
        if len({f.shape for f in frames}) > 1:
            raise ValueError(f'frames in {path} have different sizes')
        return frames, [f.stem for f in files]
    return _read_video(path, max_frames)


def _read_video(path, max_frames):
    import av
    try:
        container = av.open(str(path))
    except Exception as e:  # noqa: BLE001  (PyAV raises many error types)
        raise ValueError(f'cannot read {path} as an image folder or a video: {str(e).splitlines()[0]}') from None
    with container:
        if not container.streams.video:
            raise ValueError(f'{path} has no video stream')
        frames = []
        try:
            for frame in container.decode(video=0):
                frames.append(frame.to_ndarray(format='rgb24'))
                if max_frames and len(frames) >= max_frames:
                    break
        except Exception as e:  # noqa: BLE001
            raise ValueError(f'cannot decode video {path}: {str(e).splitlines()[0]}') from None
    if not frames:
        raise ValueError(f'{path} has no decodable video frames')
    return frames, [f'{i:08d}' for i in range(len(frames))]


def prepare_output_dir(path, overwrite=False):
    """Create an empty output folder; refuse an existing non-empty one unless ``overwrite``."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise FileExistsError(f'output path exists and is not a folder: {path}')
    if path.exists() and any(path.iterdir()):
        if not overwrite:
            raise FileExistsError(f'output folder already exists and is not empty: {path} '
                                  '(pass --overwrite to replace it)')
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_frames(folder, frames, names):
    """Write RGB uint8 frames as ``folder/<name>.png``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for f, n in zip(frames, names):
        cv2.imwrite(str(folder / f'{n}.png'), f[:, :, ::-1])

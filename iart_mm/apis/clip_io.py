"""Read clips from frame folders or video files, and write frames safely.

Frames are RGB uint8 (h, w, 3) numpy arrays; clips are lists of them in display order. Folders are read
in natural sorted order of file names (the release read them unsorted, which shuffles the clip).
"""
import itertools
import shutil
from pathlib import Path

import cv2

from ..video.source import open_source

def read_clip(path, max_frames=None):
    """Read a frame folder or a video file into memory (the streaming readers are ``iart_mm.video``).

    Returns:
        tuple[list[np.ndarray], list[str]]: RGB uint8 frames and their names (stems used for output files).

    Raises:
        iart_mm.video.errors.VideoInputError: missing, unreadable or empty input, with a one-line message.
    """
    source = open_source(path)
    frames = [f.rgb for f in itertools.islice(source, max_frames)]
    if source.is_video_file:
        names = [f'{i:08d}' for i in range(len(frames))]
    else:
        names = [f.stem for f in source.files[:len(frames)]]
    return frames, names


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

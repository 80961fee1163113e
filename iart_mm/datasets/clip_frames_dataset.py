"""``ClipFramesDataset``: MMagic's ``BasicFramesDataset`` whose clip lengths come from the annotation file.

MMagic's test configs either fix every clip's length (REDS4: ``fixed_seq_len=100``, so a clip with fewer frames
fails inside a DataLoader worker on a missing ``%08d.png``) or count the files of each LR folder (so a stray file
changes the clip). The annotation files that ``tools/dataset_converters/make_annotations.py`` writes (and the
official ones, e.g. ``000 100 (720,1280,3)``) name the frame count of every clip: this dataset uses it, checks
that each of its frame folders holds at least that many files, and says which clip is short when one is not.
Lines without a count (and folder-listed sets with ``ann_file=''``) keep MMagic's behaviour.
"""
import os.path as osp

from mmengine.fileio import list_from_file

from mmagic.datasets import BasicFramesDataset
from mmagic.registry import DATASETS


def frame_counts_from_annotations(lines):
    """``{clip: frames}`` from annotation lines ``'<clip> <frames> [(h,w,c)]'``; lines without a count are skipped.

    Raises:
        ValueError: a count that is not a positive integer.
    """
    counts = {}
    for line in lines:
        parts = line.split()
        if len(parts) < 2 or parts[1].startswith('('):
            continue
        if not parts[1].isdigit() or int(parts[1]) < 1:
            raise ValueError(f'annotation line {line.strip()!r}: the frame count must be a positive integer')
        counts[parts[0].replace('\\', '/')] = int(parts[1])
    return counts


@DATASETS.register_module()
class ClipFramesDataset(BasicFramesDataset):
    """Whole-clip VSR test set: one sample per clip, its length read from the annotation file.

    Takes the arguments of :class:`mmagic.datasets.BasicFramesDataset`. With an annotation file that gives
    frame counts (and no ``fixed_seq_len``), clip ``c`` has ``counts[c]`` frames, frames ``0 .. counts[c]-1``
    are read, and a frame folder (LR or GT) holding fewer files than that raises ``FileNotFoundError`` naming
    the clip, the folder and both numbers.
    """

    def _set_seq_lens(self):
        counts = {}
        if self.use_ann_file and not self.seq_lens['fixed_seq_len']:
            counts = frame_counts_from_annotations(list_from_file(self.ann_file, backend_args=self.backend_args))
        super()._set_seq_lens()  # counts the files of each LR folder (MMagic's rule)
        if not counts:
            return
        folders = {self.data_prefix[k] for k in self.data_prefix if k not in self.load_frames_list}
        for clip in [k for k in self.seq_lens if k != 'fixed_seq_len']:
            if clip not in counts:
                continue
            for folder in sorted(folders):
                path = osp.join(folder, clip)
                present = len(list(self.file_backend.list_dir_or_file(path))) if osp.isdir(path) else 0
                if present < counts[clip]:
                    raise FileNotFoundError(
                        f'clip {clip!r}: {osp.basename(self.ann_file)} lists {counts[clip]} frames but {path} '
                        f'holds {present}')
            self.seq_lens[clip] = counts[clip]

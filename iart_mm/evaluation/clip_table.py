"""Per-clip aggregation of per-frame scores (the papers' mean per clip, then mean over clips) and its table."""
import os.path as osp
from collections import OrderedDict

import numpy as np


def short_clip_names(names):
    """``{name: short name}``: clip folders (absolute paths) relative to their common parent, others unchanged.

    ``/d/Vid4/GT/calendar`` -> ``calendar``; ``/d/vimeo90k/GT/00001/0266`` -> ``00001/0266`` beside other folders
    of ``GT``; a single folder -> its last part.
    """
    names = list(names)
    if not names or not all(osp.isabs(n) for n in names):
        return {n: n for n in names}
    if len(names) == 1:
        return {names[0]: osp.basename(names[0])}
    parent = osp.commonpath(names)
    return {n: osp.relpath(n, parent).replace(osp.sep, '/') for n in names}


def average_per_clip(records, names):
    """Mean of each score within each clip, then the arithmetic mean over clips.

    Args:
        records (list[dict]): one dict per frame, ``{'clip': str, name: float, ...}``; a clip may be
            spread over several records (and several samples, e.g. a clip cut into segments).
        names (list[str]): the score names to average.

    Returns:
        tuple[OrderedDict, dict]: ``{clip: {name: mean, 'frames': n}}`` in first-seen order (clip folders
        shortened by :func:`short_clip_names`), and
        ``{name: mean over clips}``.
    """
    if not records:
        raise ValueError('no per-frame scores to average (empty evaluation set?)')
    per_clip = OrderedDict()
    for rec in records:
        per_clip.setdefault(rec['clip'], []).append(rec)
    table = OrderedDict()
    for clip, recs in per_clip.items():
        row = {name: float(np.mean([r[name] for r in recs])) for name in names}
        row['frames'] = len(recs)
        table[clip] = row
    short = short_clip_names(table)
    table = OrderedDict((short[clip], row) for clip, row in table.items())
    overall = {name: float(np.mean([row[name] for row in table.values()])) for name in names}
    return table, overall


def format_clip_table(table, overall, names, digits=None):
    """Markdown table: one row per clip (frames and scores), then the mean over clips."""
    digits = digits or {}
    header = '| clip | frames | ' + ' | '.join(names) + ' |'
    lines = [header, '|' + ' --- |' * (len(names) + 2)]

    def fmt(name, value):
        return f'{value:.{digits.get(name, 4)}f}'

    for clip, row in table.items():
        lines.append(f'| {clip} | {row["frames"]} | ' + ' | '.join(fmt(n, row[n]) for n in names) + ' |')
    total = sum(row['frames'] for row in table.values())
    lines.append(f'| **mean of clips** | {total} | ' + ' | '.join(fmt(n, overall[n]) for n in names) + ' |')
    return '\n'.join(lines)

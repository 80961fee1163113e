"""Per-clip aggregation of per-frame scores (the papers' mean per clip, then mean over clips) and its table."""
from collections import OrderedDict

import numpy as np


def average_per_clip(records, names):
    """Mean of each score within each clip, then the arithmetic mean over clips.

    Args:
        records (list[dict]): one dict per frame, ``{'clip': str, name: float, ...}``; a clip may be
            spread over several records (and several samples, e.g. a clip cut into segments).
        names (list[str]): the score names to average.

    Returns:
        tuple[OrderedDict, dict]: ``{clip: {name: mean, 'frames': n}}`` in first-seen order, and
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

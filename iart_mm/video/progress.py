"""A progress bar over output frames showing frames/s and ETA (tqdm on stderr)."""
from tqdm import tqdm


def frame_progress(total=None, enabled=True, desc='super-resolving'):
    """A tqdm bar counting frames; ``total`` None (unknown length) shows the rate without an ETA."""
    return tqdm(total=total, unit='frame', desc=desc, disable=not enabled, dynamic_ncols=True,
                smoothing=0.1, bar_format='{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} '
                '[{elapsed}<{remaining}, {rate_fmt}]' if total else None)

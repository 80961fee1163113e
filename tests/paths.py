"""Where the tests find the repository and the read-only shared data (``../shared`` beside the clone).

Import it as ``from tests.paths import REPO_DIR, ...`` (pytest runs from the repository root).
"""
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_DIR.parent / 'shared'
DATA_DIR = SHARED_DIR / 'data'
REFERENCE_DIR = SHARED_DIR / 'reference' / 'iart_official'


def require_shared(path):
    """Skip (with the reason) when a piece of ../shared is absent, e.g. a clone without it beside."""
    path = Path(path)
    if not path.exists():
        pytest.skip(f'shared data not found: {path}')
    return path

"""Shared pytest fixtures: where the read-only shared data lives, and deterministic seeding."""
from pathlib import Path

import pytest
import torch

import iart_mm  # noqa: F401  (registers modules into MMagic's registries)

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


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield

"""Shared pytest fixtures: deterministic seeding. Repository and shared-data paths live in ``tests.paths``."""
import pytest
import torch

import iart_mm  # noqa: F401  (registers modules into MMagic's registries)
from tests.paths import DATA_DIR, REFERENCE_DIR, REPO_DIR, SHARED_DIR, require_shared  # noqa: F401  (re-exported)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield

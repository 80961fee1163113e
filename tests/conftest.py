"""Shared pytest fixtures: deterministic seeding. Paths to the repository and the shared data: ``tests.paths``."""
import pytest
import torch

import iart_mm  # noqa: F401  (registers modules into MMagic's registries)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield

"""Helpers for the aligner tests: the released module's fixture."""
import pytest
import torch

from tests.paths import REFERENCE_DIR, require_shared


@pytest.fixture(scope='session')
def ia_fixture():
    """The released module's small fixture (made by running the released code)."""
    path = require_shared(REFERENCE_DIR / 'ia_module_small.pth')
    return torch.load(path, weights_only=True)

"""Helpers for the aligner tests: the literal reference of the release (tools/benchmarks) and the fixture."""
import sys

import pytest
import torch

from tests.paths import REFERENCE_DIR, REPO_DIR, require_shared

sys.path.insert(0, str(REPO_DIR / 'tools' / 'benchmarks'))


@pytest.fixture(scope='session')
def ia_fixture():
    """The released module's small fixture (SPEC section 7)."""
    path = require_shared(REFERENCE_DIR / 'ia_module_small.pth')
    return torch.load(path, weights_only=True)

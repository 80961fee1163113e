"""Fixtures shared by the aligner-plug-in network tests (test_ia_basicvsr, test_ia_realbasicvsr, test_plugins)."""
import pytest

from tests.reference.flow_warp_aligner import BilinearFlowWarpReference


@pytest.fixture(scope='session')
def reference_aligner():
    """MMagic's flow_warp as an aligner, with which an aligner-enabled network must equal its MMagic parent."""
    return BilinearFlowWarpReference

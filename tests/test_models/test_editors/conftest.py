"""Fixtures shared by the aligner-plug-in network tests (test_ia_basicvsr, test_ia_realbasicvsr, test_plugins)."""
import importlib.util
from pathlib import Path

import pytest


@pytest.fixture(scope='session')
def reference_aligner():
    """BilinearFlowWarpReference (test_ia_basicvsr/reference_aligner.py): MMagic's flow_warp as an aligner, with
    which an aligner-enabled network must equal its MMagic parent."""
    path = Path(__file__).parent / 'test_ia_basicvsr' / 'reference_aligner.py'
    spec = importlib.util.spec_from_file_location('_reference_aligner', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BilinearFlowWarpReference

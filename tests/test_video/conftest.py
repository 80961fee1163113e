"""Fixtures for the video pipeline tests."""
import pytest
import torch


@pytest.fixture(autouse=True)
def _single_torch_thread():
    """The test tensors are tiny: with several threads on a busy 2-core machine, OpenMP spin-waiting
    made a 12-frame tiny-model forward 30x slower (4.6 s vs 0.15 s), so these tests use one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

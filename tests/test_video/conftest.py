"""Fixtures for the video pipeline tests."""
import importlib.util
import signal

import pytest
import torch

from tests.paths import REPO_DIR


@pytest.fixture(autouse=True)
def _single_torch_thread():
    """The test tensors are tiny: with several threads on a busy 2-core machine, OpenMP spin-waiting
    made a 12-frame tiny-model forward 30x slower (4.6 s vs 0.15 s), so these tests use one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _default_sigint():
    """The tests send real SIGINTs. A process started with SIGINT ignored (a job that a non-interactive shell
    runs in the background, or nohup) hands that on to Python, which then never raises KeyboardInterrupt; the
    tests give SIGINT Python's default handler, as an interactive run has it (subprocesses started meanwhile
    inherit the default), and put the inherited disposition back afterwards."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope='session')
def cli():
    """``tools/inference_video.py`` as a module (its ``main(argv)`` returns the exit status)."""
    spec = importlib.util.spec_from_file_location('inference_video_cli', REPO_DIR / 'tools' / 'inference_video.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

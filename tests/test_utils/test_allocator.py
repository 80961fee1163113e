"""tune_malloc_for_inference / _for_training: run, are idempotent, are no-ops off glibc; TRAINING_ENV's huge
pages reach PyTorch's CPU allocator."""
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from iart_mm.utils import allocator


def test_runs_and_is_idempotent_in_a_fresh_process():
    # A fresh process so this test does not change the allocator of the test session.
    # Loaded by path: importing the ``iart_mm`` package would pull in all of MMagic (slow).
    code = ('import importlib.util as u; s = u.spec_from_file_location("a", {!r}); m = u.module_from_spec(s); '
            's.loader.exec_module(m); t = m.tune_malloc_for_inference; '
            'a = t(); b = t(); x = bytearray(64 << 20); del x; r = m.tune_malloc_for_training(); '
            'print(a, b, t(), r, m.tune_malloc_for_training())').format(allocator.__file__)
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.split()
    expected = 'True' if platform.libc_ver()[0] == 'glibc' else 'False'
    assert out[-5:] == [expected] * 5


def test_no_op_without_glibc(monkeypatch):
    monkeypatch.setattr(allocator, '_applied', False)
    monkeypatch.setattr(allocator.platform, 'libc_ver', lambda: ('', ''))
    assert allocator.tune_malloc_for_inference() is False
    assert allocator._applied is False
    assert allocator.tune_malloc_for_training() is False


def test_env_equivalent():
    assert allocator.malloc_env() == {
        'MALLOC_MMAP_MAX_': '0',
        'MALLOC_TRIM_THRESHOLD_': '17179869184',
        'MALLOC_TOP_PAD_': '1073741824'
    }


def _thp_mode():
    path = Path('/sys/kernel/mm/transparent_hugepage/enabled')
    text = path.read_text() if path.is_file() else ''
    return text[text.find('[') + 1:text.find(']')] if '[' in text else None


@pytest.mark.skipif(_thp_mode() != 'madvise', reason='needs the kernel THP mode "madvise" to tell the two apart')
def test_training_env_gives_large_tensors_huge_pages():
    # In "madvise" mode only memory PyTorch marks gets huge pages: with TRAINING_ENV's THP_MEM_ALLOC_ENABLE a
    # 64 MB tensor is backed by some, without it by none.
    code = ('import torch; x = torch.ones(16 << 20); '
            'print([l.split()[1] for l in open("/proc/self/smaps_rollup") if l.startswith("AnonHugePages")][0])')

    def anon_huge_kib(thp):
        env = {k: v for k, v in os.environ.items() if k != 'THP_MEM_ALLOC_ENABLE'}
        env['THP_MEM_ALLOC_ENABLE'] = thp
        out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env, check=True)
        return int(out.stdout.split()[-1])

    assert allocator.TRAINING_ENV['THP_MEM_ALLOC_ENABLE'] == '1'
    assert anon_huge_kib('1') >= 32 << 10
    assert anon_huge_kib('0') == 0

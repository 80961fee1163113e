"""compile_with_fallback / is_compiling: the shared switch between compiled and eager paths."""
import pytest
import torch

from iart_mm.utils.compile_fallback import compile_with_fallback, is_compiling


def test_success_returns_the_result(monkeypatch):
    monkeypatch.setattr(torch, 'compile', lambda fn, **kwargs: fn)
    run = compile_with_fallback(lambda a, b: a + b, 'adder')
    assert run(2, 3) == (True, 5)


def test_failure_warns_with_the_first_line_and_returns_no_result(monkeypatch):
    def compile(fn, **kwargs):
        def run(*args):
            raise ValueError('no C++ compiler found\ntraceback...')
        return run

    monkeypatch.setattr(torch, 'compile', compile)
    run = compile_with_fallback(lambda x: x, 'thing')
    with pytest.warns(RuntimeWarning, match=r'^thing: torch.compile failed \(ValueError: no C\+\+ compiler found\); '
                                            r'running the eager path from now on$'):
        assert run(1) == (False, None)


def test_is_compiling_only_while_traced():
    assert not is_compiling()
    traced = torch.compile(lambda x: x + float(is_compiling()), backend='eager', fullgraph=True)
    assert traced(torch.zeros(1)).item() == 1.0

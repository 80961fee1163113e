"""Builds iart_mm's one optional C++ op, the fused CPU window attention (``iart_mm/ops``).

Project metadata lives in pyproject.toml. The op needs torch at build time, so install with
``pip install --no-build-isolation -e .`` (tools/install.sh does). It is optional: where torch is not importable,
the platform is not x86-64 Linux, or the compiler fails, the package installs without it and the networks use
PyTorch's ``scaled_dot_product_attention`` instead (same outputs up to float rounding).
"""
import platform
import sys

from setuptools import setup

OP_NAME = 'iart_mm.ops._window_attention_cpu'
OP_SOURCES = ['iart_mm/ops/csrc/window_attention_cpu.cpp']


def optional_op():
    """(ext_modules, cmdclass) for the op, or ([], {}) where it cannot be built here."""
    if platform.system() != 'Linux' or platform.machine() not in ('x86_64', 'AMD64'):
        return [], {}
    try:
        from torch.utils.cpp_extension import BuildExtension, CppExtension
    except ImportError:
        print('iart_mm: torch is not importable at build time (build isolation?); skipping the optional C++ op',
              file=sys.stderr)
        return [], {}

    class OptionalBuildExtension(BuildExtension):
        """Builds the op, and on a compiler failure warns instead of failing the install."""

        def build_extensions(self):
            self.failed = []
            super().build_extensions()
            # what failed is not an output: the in-place copy and the editable or wheel install would look for it
            self.extensions = [e for e in self.extensions if e not in self.failed]

        def build_extension(self, ext):
            try:
                super().build_extension(ext)
            except Exception as err:  # noqa: BLE001 (any compiler or linker error)
                self.failed.append(ext)
                print(f'iart_mm: WARNING: the optional C++ op {ext.name} did not build ({err}); the networks fall '
                      'back to torch scaled_dot_product_attention', file=sys.stderr)

    ext = CppExtension(OP_NAME, OP_SOURCES, extra_compile_args=['-O3', '-fopenmp'], extra_link_args=['-fopenmp'])
    return [ext], {'build_ext': OptionalBuildExtension.with_options(use_ninja=False)}


ext_modules, cmdclass = optional_op()
setup(ext_modules=ext_modules, cmdclass=cmdclass)

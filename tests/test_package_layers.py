"""iart_mm's imports point down its layers and never form a cycle, counting imports inside functions.

Layers, top to bottom (a module may import its own subpackage and anything in a lower layer):

====  =============================================  =============================================
rank  subpackages                                    what they hold
====  =============================================  =============================================
4     ``apis``                                       the Python API the tools call
3     ``iart_mm`` (the package ``__init__``),         imports the rest so they register;
      ``deploy``                                     ONNX export stages and the ONNX Runtime generator
2     ``models``, ``engine``                         networks and models; MMEngine hooks/schemes
1     ``ops``, ``checkpoint``, ``datasets``,         compiled op, key converters, transforms,
      ``evaluation``, ``video``                      metrics, streaming video I/O
0     ``utils``, ``version``                         helpers with no project dependency
====  =============================================  =============================================

``tools/`` sits above ``apis``; nothing in ``iart_mm`` imports from ``tools/`` or ``tests/``.
"""
import ast
from pathlib import Path

import pytest

from tests.paths import REPO_DIR

RANKS = {'apis': 4, '': 3, 'deploy': 3, 'models': 2, 'engine': 2, 'ops': 1, 'checkpoint': 1, 'datasets': 1, 'evaluation': 1,
         'video': 1, 'utils': 0, 'version': 0}
PACKAGE_DIR = REPO_DIR / 'iart_mm'
# top-level names importable only from a folder of tools/ or tests/ put on sys.path
OUTSIDE_NAMES = {p.stem for folder in ('tools', 'tests') for p in (REPO_DIR / folder).rglob('*.py')} | {
    'tools', 'tests'}


def _module_name(path: Path):
    parts = list(path.relative_to(REPO_DIR).with_suffix('').parts)
    is_package = parts[-1] == '__init__'
    return '.'.join(parts[:-1] if is_package else parts), is_package


def _modules():
    """{module name: (path, is_package)} for every .py file of iart_mm."""
    return {name: (path, is_package) for path in PACKAGE_DIR.rglob('*.py')
            for name, is_package in [_module_name(path)]}


def _imports(path, name, is_package, modules):
    """Yield (imported module, line, is_project): every import in the file, at any depth (functions too)."""
    package = name.split('.') if is_package else name.split('.')[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                base = '.'.join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f'{base}.{alias.name}'
                yield (sub if sub in modules else base), node.lineno


def _layer(module):
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else ''


def _graph():
    modules = _modules()
    edges, outside = {}, []
    for name, (path, is_package) in modules.items():
        edges[name] = {}
        for target, line in _imports(path, name, is_package, modules):
            top = target.split('.')[0]
            if top == 'iart_mm':
                edges[name].setdefault(target, line)
            elif top in OUTSIDE_NAMES:
                outside.append(f'{path.relative_to(REPO_DIR)}:{line} imports {target}')
    return edges, outside


def _cycles(edges):
    """Strongly connected components with more than one module (Tarjan), each as a sorted list."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in edges:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_every_subpackage_has_a_layer():
    subpackages = {p.name for p in PACKAGE_DIR.iterdir() if (p / '__init__.py').exists()}
    subpackages |= {p.stem for p in PACKAGE_DIR.glob('*.py') if p.stem != '__init__'}
    assert subpackages <= set(RANKS), f'give {sorted(subpackages - set(RANKS))} a rank in RANKS'


def test_no_import_cycle():
    edges, _ = _graph()
    assert _cycles(edges) == []


def test_imports_point_down():
    edges, _ = _graph()
    upward = [f'{source} imports {target} (line {line})' for source, targets in edges.items()
              for target, line in targets.items()
              if _layer(source) != _layer(target) and RANKS[_layer(target)] >= RANKS[_layer(source)]]
    assert upward == []


def test_the_library_imports_nothing_from_tools_or_tests():
    _, outside = _graph()
    assert outside == []


@pytest.mark.parametrize('edges, expected', [
    ({'a': {'b': 1}, 'b': {'c': 1}, 'c': {'a': 1}}, [['a', 'b', 'c']]),
    ({'a': {'b': 1}, 'b': {'c': 1}, 'c': {}}, []),
])
def test_the_cycle_finder_finds_cycles(edges, expected):
    assert _cycles(edges) == expected


def test_function_level_imports_are_counted(tmp_path):
    source = tmp_path / 'm.py'
    source.write_text('def f():\n    from ..apis import x\n')
    found = list(_imports(source, 'iart_mm.engine.m', False, {'iart_mm.apis'}))
    assert found == [('iart_mm.apis', 2)]

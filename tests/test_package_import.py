"""``import iart_mm`` registers modules into MMagic's registries and changes nothing else in the process.

Each probe runs in a fresh interpreter. Two baselines:

- after importing what iart_mm is built on (torch, MMEngine's runner, MMagic's model zoo), which every MMagic
  program imports: the garbage collector, ``os.environ``, ``warnings.filters`` and ``torch.load``'s allow-list
  are then exactly the same after ``import iart_mm``. (Those dependencies change some of them themselves, e.g.
  torch.distributed adds its tensor types to the allow-list.)
- from a bare interpreter: the collector and its frozen generation are untouched, nothing this project would
  set appears, and the compiled op is not loaded until something uses it.
"""
import json
import os
import subprocess
import sys

import pytest

_SNAPSHOT = '''
import gc, json, os, warnings, torch
def snapshot():
    return dict(gc_enabled=gc.isenabled(), frozen=gc.get_freeze_count(), environ=dict(os.environ),
                filters=[repr(f) for f in warnings.filters],
                safe_globals=sorted(repr(g) for g in torch.serialization.get_safe_globals()),
                op_libraries=sorted(torch.ops.loaded_libraries))
'''

_AFTER_DEPENDENCIES = _SNAPSHOT + '''
import mmengine.runner, mmagic.models, mmagic.registry
before = snapshot()
models_before = len(mmagic.registry.MODELS)
import iart_mm
after = snapshot()
print(json.dumps(dict(before=before, after=after, new_models=len(mmagic.registry.MODELS) - models_before)))
'''

_BARE = '''
import gc, json, os, warnings
before = dict(gc_enabled=gc.isenabled(), frozen=gc.get_freeze_count(), environ=dict(os.environ),
              filters=[repr(f) for f in warnings.filters])
import iart_mm, torch
after = dict(gc_enabled=gc.isenabled(), frozen=gc.get_freeze_count(), environ=dict(os.environ),
             filters=[repr(f) for f in warnings.filters],
             safe_globals=[repr(g) for g in torch.serialization.get_safe_globals()],
             op_libraries=sorted(torch.ops.loaded_libraries))
print(json.dumps(dict(before=before, after=after)))
'''


def _probe(code, **env):
    base = {k: v for k, v in os.environ.items() if k not in ('NO_ALBUMENTATIONS_UPDATE', 'THP_MEM_ALLOC_ENABLE')}
    proc = subprocess.run([sys.executable, '-c', 'import sys\n' + code], capture_output=True, text=True,
                          env={**base, **env}, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope='module')
def after_dependencies():
    return _probe(_AFTER_DEPENDENCIES)


@pytest.mark.parametrize('state', ['gc_enabled', 'frozen', 'environ', 'filters', 'safe_globals', 'op_libraries'])
def test_import_changes_nothing_after_its_dependencies(after_dependencies, state):
    assert after_dependencies['after'][state] == after_dependencies['before'][state]


def test_import_registers_the_projects_modules(after_dependencies):
    # what the import is for: the probe would also see a change, so the equalities above can fail
    assert after_dependencies['new_models'] >= 10


def test_import_from_a_bare_interpreter_leaves_gc_and_project_settings_alone():
    result = _probe(_BARE)
    before, after = result['before'], result['after']
    assert after['gc_enabled'] == before['gc_enabled'] is True
    assert after['frozen'] == before['frozen'] == 0
    assert 'NO_ALBUMENTATIONS_UPDATE' not in after['environ']
    assert 'THP_MEM_ALLOC_ENABLE' not in after['environ']
    assert not [f for f in after['filters'] if f not in before['filters'] and 'pkg_resources' in f]
    assert not [g for g in after['safe_globals'] if 'HistoryBuffer' in g or 'numpy' in g]
    assert not [lib for lib in after['op_libraries'] if 'iart_mm' in lib]  # the compiled op loads on first use

"""tools/tool_entry.py: the process tuning the tools do (and the library import does not), in a fresh process."""
import json
import os
import subprocess
import sys

from tests.paths import REPO_DIR

# Every urllib request made is recorded and refused (albumentations' update check catches the error).
_PROBE = '''
import gc, json, os, sys, urllib.request, warnings
calls = []
def refuse(self, url, *args, **kwargs):
    calls.append(getattr(url, 'full_url', url))
    raise OSError('network refused by the test')
urllib.request.OpenerDirector.open = refuse
sys.path.insert(0, {tools!r})
import tool_entry
def main():
    print(json.dumps(dict(
        gc_enabled=gc.isenabled(), frozen=gc.get_freeze_count(), requests=len(calls),
        thp=os.environ.get('THP_MEM_ALLOC_ENABLE'), albumentations=os.environ.get('NO_ALBUMENTATIONS_UPDATE'),
        quiet=any('pkg_resources' in repr(f) for f in warnings.filters), loaded='iart_mm.models' in sys.modules)))
    return 3
tool_entry.run_tool(main)
'''


def _run_tool(**env):
    base = {k: v for k, v in os.environ.items() if k not in ('NO_ALBUMENTATIONS_UPDATE', 'THP_MEM_ALLOC_ENABLE')}
    proc = subprocess.run([sys.executable, '-c', _PROBE.format(tools=str(REPO_DIR / 'tools'))], capture_output=True,
                          text=True, env={**base, **env}, cwd=REPO_DIR, timeout=300)
    assert proc.returncode == 3, proc.stderr[-3000:]  # main()'s status is the exit status
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_run_tool_tunes_the_process_before_main():
    state = _run_tool()
    assert state['loaded']
    assert state['gc_enabled']
    assert state['frozen'] > 10_000  # the import's survivors sit in the permanent generation
    assert state['thp'] == '1' and state['albumentations'] == '1'
    assert state['quiet']
    assert state['requests'] == 0  # no update check on the network


def test_run_tool_keeps_the_users_settings():
    # also shows that the probe sees albumentations' request when one is made
    state = _run_tool(NO_ALBUMENTATIONS_UPDATE='0', THP_MEM_ALLOC_ENABLE='0')
    assert state['thp'] == '0' and state['albumentations'] == '0'
    assert state['requests'] >= 1

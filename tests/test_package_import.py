"""``import iart_mm`` in a fresh process: the collector comes back on with the import's garbage collected and its
survivors frozen out of later passes, and nothing on the import path asks the network (albumentations' update
check) unless the user asked for it."""
import os
import subprocess
import sys

# Every urllib request the import makes is recorded and refused (albumentations' check catches the error).
_PROBE = '''
import gc, urllib.request
calls = []
def refuse(self, url, *args, **kwargs):
    calls.append(getattr(url, 'full_url', url))
    raise OSError('network refused by the test')
urllib.request.OpenerDirector.open = refuse
import iart_mm
frozen = gc.get_freeze_count()
gc.unfreeze()
print(gc.isenabled(), frozen, gc.collect(), len(calls))
'''


def _import_in_fresh_process(**env):
    base = {k: v for k, v in os.environ.items() if k != 'NO_ALBUMENTATIONS_UPDATE'}
    proc = subprocess.run([sys.executable, '-W', 'ignore', '-c', _PROBE], capture_output=True, text=True,
                          env={**base, **env})
    assert proc.returncode == 0, proc.stderr
    enabled, frozen, garbage, calls = proc.stdout.split()[-4:]
    return enabled == 'True', int(frozen), int(garbage), int(calls)


def test_import_collects_then_freezes_and_makes_no_network_request():
    enabled, frozen, garbage, calls = _import_in_fresh_process()
    assert enabled
    assert frozen > 100_000  # torch, MMEngine and MMagic's modules, classes and functions
    assert garbage < 1_000  # the import leaves ~11,000 objects in cycles: frozen, they would never be freed
    assert calls == 0


def test_import_keeps_a_users_choice_to_check_for_updates():
    # also shows that the probe sees albumentations' request when it is made
    *_, calls = _import_in_fresh_process(NO_ALBUMENTATIONS_UPDATE='0')
    assert calls >= 1

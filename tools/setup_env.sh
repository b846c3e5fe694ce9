#!/usr/bin/env bash
# Set up everything Lip Sync needs on a fresh Debian/Ubuntu machine (idempotent, quick when done).
#   - Debian packages: ffmpeg (previews, odd audio formats), espeak-ng (transcripts in other languages),
#     flite (synthetic training speech); installed when missing and we are root (or have sudo).
#   - .venv with requirements.txt (bpy 5.0.1 = Blender as a module, torch 2.13.0 CPU, pocketsphinx, ...)
#     and this repository installed editable as the `lipsync` package / command.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for tool in ffmpeg:ffmpeg espeak-ng:espeak-ng flite:flite; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need_apt+=("${tool##*:}")
done
. tools/apt_install.sh
apt_install setup "previews/other languages may not work" ${need_apt[@]+"${need_apt[@]}"}

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.lipsync-installed
if [ ! -f "$stamp" ] || [ requirements.txt -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages (first time: a few minutes)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.txt
  .venv/bin/python -m pip install -q --no-deps -e .
  touch "$stamp"
fi

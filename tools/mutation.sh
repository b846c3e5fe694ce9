#!/usr/bin/env bash
# Mutation testing of the bpy-free core with mutmut (PyPI): how many deliberately broken versions of the code
# the tests catch. Not part of CI (it runs the selected tests once per mutant: minutes per module).
#
#   bash tools/mutation.sh                      # every core module (tools/mutation_modules.txt)
#   bash tools/mutation.sh phonemes/formats.py  # one or more modules
#   MUTATION_RESUME=1 bash tools/mutation.sh phonemes/formats.py
#       after adding tests: starts from the module's last cache (out/mutation/cache) and reruns only the mutants
#       that survived or are new; earlier kills are kept (mutmut's rule: added tests cannot un-kill a mutant, so
#       do not use it after weakening or deleting tests)
#
# Runs in a throw-away copy of the working tree (mutmut edits files in place; the copy is put first on
# PYTHONPATH as the `lipsync` package, so the tests and their subprocesses import the mutants). Each module is
# tested against the test files listed beside it in tools/mutation_modules.txt. Mutants listed in
# tools/mutation_equivalent.tsv (with why they cannot be told apart from the original) are left out of the
# score. Each module's survivors are written to out/mutation/survivors/MODULE.txt and its figures appended to
# out/mutation/scores.tsv; the last line printed is the score over the modules of this run:
#   mutation score: K/N killed (P%)
#   python tools/mutation_report.py --total out/mutation     # over every module's latest run
#
# The tests run in children forked from one server that has imported pytest, numpy, torch ... once
# (tools/mutation_server.py): a mutant costs its tests, not Python's start-up. The module's mutmut cache is
# out/mutation/cache/MODULE.sqlite from the start, so an interrupted run resumes with MUTATION_RESUME=1.
# Several modules can run at once in separate shells (each has its own copy, server and cache).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
bash tools/setup_env.sh >/dev/null
PY="$ROOT/.venv/bin/python"
"$PY" -c "import mutmut" 2>/dev/null || "$PY" -m pip install -q "mutmut==2.5.1"

WORK=$(mktemp -d /tmp/lipsync-mutation.XXXXXX)
SERVER=""
trap '[ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/lipsync" "$ROOT/out/mutation/cache" "$ROOT/out/mutation/survivors"
git ls-files -co --exclude-standard -z | xargs -0 -I{} cp --parents {} "$WORK/lipsync/" 2>/dev/null || true
cd "$WORK/lipsync"
# the installed pytest plugins (anyio, platformdirs: no test uses them) cost ~1.5 s of start-up per mutant
export PYTEST_DISABLE_PLUGIN_AUTOLOAD=1
export PYTHONPATH="$WORK" LIPSYNC_DATA="${LIPSYNC_DATA:-$("$PY" -c 'from lipsync.training.datasets import data_root; print(data_root())')}"
export PYTHONDONTWRITEBYTECODE=1
find . -name __pycache__ -prune -exec rm -rf {} +
SOCK="$WORK/pytest.sock"
"$PY" "$ROOT/tools/mutation_server.py" serve "$SOCK" > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 600); do grep -q ready "$WORK/server.log" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$WORK/server.log" || { echo "mutation: the test server did not start: $(cat "$WORK/server.log")" >&2; exit 2; }

modules=("$@")
if [ ${#modules[@]} -eq 0 ]; then
  mapfile -t modules < <(grep -v '^#' tools/mutation_modules.txt | awk 'NF {print $1}')
fi
for mod in "${modules[@]}"; do
  tests=$(awk -v m="$mod" '$1 == m {for (i = 2; i <= NF; i++) printf "%s ", $i}' tools/mutation_modules.txt)
  [ -n "$tests" ] || { echo "mutation: $mod is not in tools/mutation_modules.txt (module  tests...)" >&2; exit 2; }
  cached="$ROOT/out/mutation/cache/${mod//\//_}.sqlite"
  if [ -n "${MUTATION_RESUME:-}" ] && [ -f "$cached" ]; then
    # every mutant not killed before is run again (mutmut's own test-hash check misses some)
    "$PY" -c "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute(\"UPDATE Mutant SET status = 'untested' WHERE status != 'ok_killed'\"); db.commit()" "$cached"
  else
    rm -f "$cached"
  fi
  ln -sfn "$cached" .mutmut-cache  # mutmut records each result as it goes: an interrupted run loses nothing
  start=$(date +%s)
  # mutmut 2.5.1 counts only exit status 1 as "tests failed": a mutant that breaks the import (pytest exits 2,
  # collection error) would be scored a survivor. The server's client turns every failing status into 1.
  "$ROOT/.venv/bin/mutmut" run --paths-to-mutate "$mod" --tests-dir tests \
    --runner "$PY -S $ROOT/tools/mutation_server.py run $SOCK -x -q -p no:cacheprovider -o addopts= --import-mode=importlib $tests" \
    >/dev/null 2>&1 || true
  survivors="$ROOT/out/mutation/survivors/${mod//\//_}.txt"
  : > "$survivors"
  "$PY" "$ROOT/tools/mutation_report.py" "$mod" "$cached" "$ROOT/tools/mutation_equivalent.tsv" \
    "$survivors" "$(( $(date +%s) - start ))" "$ROOT/out/mutation/scores.tsv"
done
"$PY" "$ROOT/tools/mutation_report.py" --total "$ROOT/out/mutation" "${modules[@]}"

#!/usr/bin/env bash
# Set up (.venv, packages) and run Lip Sync on the bundled sample; results in out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
exec .venv/bin/python tools/demo.py "$@"

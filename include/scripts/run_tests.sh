#!/usr/bin/env bash
# The test command: set up the local stack (idempotent), check style, run every test.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$FUELOPT_ROOT/include/scripts/setup.sh"
cd "$FUELOPT_ROOT"
ruff check .
ruff format --check .
set +e
python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "no tests were collected: failing" >&2; exit 1; fi
exit "$rc"

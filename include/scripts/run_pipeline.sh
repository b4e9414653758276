#!/usr/bin/env bash
# The main job: set up the local stack (idempotent), then run the whole pipeline end to end.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$FUELOPT_ROOT/include/scripts/setup.sh"
cd "$FUELOPT_ROOT"
fuelopt pipeline "$@"

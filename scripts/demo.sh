#!/usr/bin/env bash
# make demo — the main job: two local chains, a relayer, collateral crossing and coming back.
# The scenario itself is scripts/demo.py (real binaries on loopback, data in a temp dir);
# `make demo ARGS=--keep` leaves everything running and prints how to reach it;
# `make demo ARGS=--hub` runs the three-chain hub scenario instead (README).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 scripts/demo.py "$@"

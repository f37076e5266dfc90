#!/usr/bin/env bash
# make bench: run every benchmark binary; each prints its figures with their baselines.
set -uo pipefail
export CW_SHARED=${SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
status=0
for bin in "$@"; do
  echo "== $(basename "$bin")"
  "$bin" || status=1
done
exit $status

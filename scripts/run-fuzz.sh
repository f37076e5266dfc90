#!/usr/bin/env bash
# make fuzz: run each libFuzzer target for FUZZ_SECONDS under ASan+UBSan, -rss_limit_mb=512.
# New inputs go to build/fuzz-corpus/<target> (the checked-in seed corpus is read only).
set -uo pipefail
BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
status=0
for bin in "$@"; do
  name=$(basename "$bin")
  work="$BUILD/fuzz-corpus/$name"; mkdir -p "$work"
  echo "== $name: ${FUZZ_SECONDS}s"
  if "$bin" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=512 -timeout=10 \
      -artifact_prefix="$BUILD/$name-" -print_final_stats=1 "$work" "tests/fuzz/corpus/$name" 2>"$BUILD/$name.fuzz.log"; then
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$BUILD/$name.fuzz.log"
    echo "   clean"
  else
    tail -n 40 "$BUILD/$name.fuzz.log"; status=1
  fi
done
exit $status

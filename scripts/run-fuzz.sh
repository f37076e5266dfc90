#!/usr/bin/env bash
# make fuzz: run each libFuzzer target for FUZZ_SECONDS under ASan+UBSan with its RSS limit
# (scripts/fuzz-limits.sh). New inputs go to build/fuzz-corpus/<target> (the checked-in seed
# corpus is read only); the full log is $BUILD/<target>.fuzz.log.
# Prints one line per target: executions, exec/s, coverage (libFuzzer's cov: and ft: at the
# end), corpus (inputs/bytes), peak RSS against the limit, and clean or FAILED (then the
# log's tail).
set -uo pipefail
BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
. "$(dirname "$0")/fuzz-limits.sh"
status=0
printf '%-22s %11s %8s %6s %7s %14s %15s  %s\n' target execs exec/s cov ft corpus peak_rss result
for bin in "$@"; do
  name=$(basename "$bin")
  work="$BUILD/fuzz-corpus/$name"; mkdir -p "$work"
  log="$BUILD/$name.fuzz.log"
  limit=$(fuzz_rss_limit "$name")
  "$bin" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb="$limit" -timeout=10 \
      -artifact_prefix="$BUILD/$name-" -print_final_stats=1 "$work" "tests/fuzz/corpus/$name" 2>"$log"
  rc=$?
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
  # the last status line (DONE at the time limit): "#N DONE cov: C ft: F corp: N/SIZE ..."
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  field() { sed -n "s/.* $1: \([^ ]*\).*/\1/p" <<<"$last"; }
  peak=$(stat peak_rss_mb)
  printf '%-22s %11s %8s %6s %7s %14s %15s  %s\n' "$name" "$(stat number_of_executed_units)" \
    "$(stat average_exec_per_sec)" "$(field cov)" "$(field ft)" "$(field corp)" \
    "${peak:-?}/${limit} MB" "$([ $rc -eq 0 ] && echo clean || echo FAILED)"
  if [ $rc -ne 0 ]; then
    tail -n 40 "$log" | sed 's/^/    | /'; status=1
  fi
done
exit $status

#!/usr/bin/env bash
# Run every suite `make test` owns and print one closing line: "N passed, N failed".
#   unit + conformance (cmocka, ASan+UBSan builds), integration (pytest, real binaries),
#   ICS-23 oracle (our verifier against the Rust ics23 crate over a generated corpus),
#   fuzz smoke (each libFuzzer target FUZZ_SMOKE_SECONDS on its corpus), e2e (containers).
# CW_ONLY=unit|oracle|integration|fuzz|e2e restricts to one suite.
# CW_ORACLE_SEED / CW_ORACLE_CASES (cases per spec, default 12000) steer the oracle's corpus.
set -uo pipefail
BUILD=${BUILD:-build}
export CW_SHARED=${SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
export CW_BUILD=$(cd "$BUILD" && pwd)
export CW_BIN_FLAVOUR=${CW_BIN_FLAVOUR:-san}  # integration tests drive the sanitizer builds
FUZZ_SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-5}
ONLY=${CW_ONLY:-all}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0 failed=0 skipped=0
failures=()
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

if [ ! -d "$CW_SHARED/vectors" ]; then
  if [ "${CI:-}" = true ]; then
    echo "FATAL: test vectors not found at $CW_SHARED/vectors (CI must have ../shared)" >&2
    exit 1
  fi
  echo "################################################################################"
  echo "## WARNING: $CW_SHARED/vectors is missing: ICS-23 and BIP-340 vector tests SKIP ##"
  echo "################################################################################"
fi

run_cmocka() {
  local bin=$1 name out
  name=$(basename "$bin")
  out="$log/$name.out"
  "$bin" >"$out" 2>&1
  local rc=$?
  local p f
  p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
  f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
  s=$(grep -c '^\[  SKIPPED \]' "$out")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or sanitizer abort
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  printf '  %-34s %4d passed %3d failed%s\n' "$name" "$p" "$f" \
    "$([ "$s" -gt 0 ] && echo " ($s skipped)")"
  if [ "$f" -ne 0 ]; then failures+=("$name"); sed 's/^/    | /' "$out" | tail -n 60; fi
}

if [ "$ONLY" = all ] || [ "$ONLY" = unit ]; then
  echo "== unit and conformance tests (clang, ASan+UBSan)"
  for bin in $(find "$BUILD/san/tests" -type f -perm -u+x -name 'test_*' 2>/dev/null | sort); do
    run_cmocka "$bin"
  done
fi

if [ "$ONLY" = all ] || [ "$ONLY" = unit ]; then
  echo "== layering (scripts/check-layers.sh on the release archives)"
  if scripts/check-layers.sh "$BUILD/rel" >"$log/layers.out" 2>&1; then
    passed=$((passed + 1)); sed 's/^/  /' "$log/layers.out"
  else
    failed=$((failed + 1)); failures+=("layering"); sed 's/^/    | /' "$log/layers.out"
  fi
fi

if [ "$ONLY" = all ] || [ "$ONLY" = oracle ]; then
  # docs/DESIGN.md §12: disagreements must each classify to a rule listed, with its reason,
  # in tests/oracle/ics23-allowed.txt; anything else fails (the driver lists it).
  echo "== ICS-23 oracle (our verifier vs the Rust ics23 crate; allowed: tests/oracle/ics23-allowed.txt)"
  diff_bin="$BUILD/san/tests/oracle/ics23_diff" oracle_bin="$BUILD/oracle/release/ics23-oracle"
  if [ -x "$diff_bin" ] && [ -x "$oracle_bin" ]; then
    vec=(); [ -d "$CW_SHARED/vectors/ics23" ] && vec=(--vectors "$CW_SHARED/vectors/ics23")
    "$diff_bin" --oracle "$oracle_bin" --allowed tests/oracle/ics23-allowed.txt "${vec[@]}" \
      --seed "${CW_ORACLE_SEED:-1}" --cases "${CW_ORACLE_CASES:-12000}" >"$log/oracle.out" 2>&1
    rc=$?
    sed 's/^/  /' "$log/oracle.out" | tail -n 80
    if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("ics23-oracle"); fi
  else
    echo "  not built: $diff_bin and $oracle_bin (make build-oracle; needs cargo)"
    failed=$((failed + 1)); failures+=("ics23-oracle")
  fi
fi

if [ "$ONLY" = all ] || [ "$ONLY" = oracle ]; then
  # docs/DESIGN.md §6a, §12: random light-client cases judged by our verifier and by
  # tendermint-rs 0.41.0's; every verdict and reason must agree.
  echo "== 07-tendermint oracle (our verifier vs tendermint-light-client-verifier 0.41.0)"
  tm_diff="$BUILD/san/tests/oracle/tm_diff" tm_oracle="$BUILD/oracle/release/tendermint-oracle"
  if [ -x "$tm_diff" ] && [ -x "$tm_oracle" ]; then
    d="$log/tm-oracle"; mkdir -p "$d"
    if "$tm_diff" --seed "${CW_ORACLE_SEED:-1}" --cases "${CW_TM_ORACLE_CASES:-5000}" --out "$d" \
        && "$tm_oracle" <"$d/cases.jsonl" >"$d/theirs.txt" \
        && python3 tests/oracle/tm_compare.py "$d" >"$log/tm-oracle.out" 2>&1; then
      passed=$((passed + 1)); sed 's/^/  /' "$log/tm-oracle.out" | head -n 4
    else
      failed=$((failed + 1)); failures+=("tendermint-oracle")
      sed 's/^/    | /' "$log/tm-oracle.out" 2>/dev/null | tail -n 40
    fi
  else
    echo "  not built: $tm_diff and $tm_oracle (make build-oracle; needs cargo)"
    failed=$((failed + 1)); failures+=("tendermint-oracle")
  fi
fi

if [ "$ONLY" = all ] || [ "$ONLY" = integration ]; then
  if ls tests/integration/test_*.py >/dev/null 2>&1; then
    echo "== integration tests (pytest, real binaries)"
    out="$log/pytest.out"
    python3 -m pytest -q -p no:cacheprovider tests/integration >"$out" 2>&1
    rc=$?
    tail -n 30 "$out" | sed 's/^/    | /'
    p=$(grep -Eo '[0-9]+ passed' "$out" | tail -1 | grep -Eo '[0-9]+' || echo 0)
    f=$(grep -Eo '[0-9]+ (failed|error)' "$out" | awk '{s+=$1} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p)); failed=$((failed + f))
    [ "$f" -ne 0 ] && failures+=("integration")
  fi
fi

if [ "$ONLY" = all ] || [ "$ONLY" = fuzz ]; then
  fz=$(find "$BUILD/fuzz" -maxdepth 1 -type f -perm -u+x -name 'fuzz_*' 2>/dev/null | sort)
  if [ -n "$fz" ]; then
    echo "== fuzz smoke (${FUZZ_SMOKE_SECONDS}s each, ASan+UBSan, RSS limits of scripts/fuzz-limits.sh)"
    asan_saved=$ASAN_OPTIONS
    . "$(dirname "$0")/fuzz-limits.sh"
    for bin in $fz; do
      name=$(basename "$bin")
      [ -f "tests/fuzz/$name.c" ] || continue   # a stale binary of a renamed/removed target
      work="$log/corpus-$name"; mkdir -p "$work"
      "$bin" -max_total_time="$FUZZ_SMOKE_SECONDS" -rss_limit_mb="$(fuzz_rss_limit "$name")" -timeout=10 \
        -artifact_prefix="$log/$name-" -print_final_stats=1 "$work" "tests/fuzz/corpus/$name" >"$log/$name.fuzz" 2>&1
      rc=$?
      runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log/$name.fuzz")
      if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1)); printf '  %-34s ok (%s runs)\n' "$name" "${runs:-?}"
      else
        failed=$((failed + 1)); failures+=("$name")
        printf '  %-34s FAILED\n' "$name"; tail -n 40 "$log/$name.fuzz" | sed 's/^/    | /'
      fi
    done
    export ASAN_OPTIONS=$asan_saved
  fi
fi

if [ "$ONLY" = all ] || [ "$ONLY" = e2e ]; then
  if ls tests/e2e/test_*.py >/dev/null 2>&1; then
    if docker info >/dev/null 2>&1; then
      echo "== container e2e (docker): make image, then tests/e2e"
      out="$log/e2e.out"
      if make --no-print-directory image BUILD="$BUILD" >"$log/image.out" 2>&1; then
        grep '^image:' "$log/image.out" | sed 's/^/    /'
        python3 -m pytest -q -p no:cacheprovider tests/e2e >"$out" 2>&1
        rc=$?
      else
        tail -n 30 "$log/image.out" >"$out"; echo "make image failed" >>"$out"; rc=1
      fi
      tail -n 30 "$out" | sed 's/^/    | /'
      p=$(grep -Eo '[0-9]+ passed' "$out" | tail -1 | grep -Eo '[0-9]+' || echo 0)
      f=$(grep -Eo '[0-9]+ (failed|error)' "$out" | awk '{s+=$1} END {print s+0}')
      if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
      passed=$((passed + p)); failed=$((failed + f))
      [ "$f" -ne 0 ] && failures+=("e2e")
    else
      echo "######## SKIPPED: container e2e tests — no Docker engine answers ########"
    fi
  fi
fi

[ ${#failures[@]} -gt 0 ] && echo "failed suites: ${failures[*]}"
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Coverage you can read (make coverage; docs/DESIGN.md §12). Replays, with the instrumented
# build of `make build-cov` (clang source-based coverage, build/cov/):
#   - every unit and conformance test (build/cov/tests/*/test_*),
#   - the ICS-23 oracle's differential driver (build/cov/tests/oracle/ics23_diff) as
#     `make test` runs it, when the Rust oracle is built ($BUILD/oracle; needs cargo),
#   - every fuzz corpus: each harness build/cov/fuzz/fuzz_<t> over tests/fuzz/corpus/fuzz_<t>
#     and, when present, build/fuzz-corpus/fuzz_<t> (libFuzzer -runs=0: each input once,
#     nothing mutated, nothing written to the corpus directories),
# merges the profiles (llvm-profdata) and prints, with llvm-cov:
#   - line and branch coverage per source file (tests/, bench/, generated and system code
#     left out), also in $BUILD/cov/report/summary.txt,
#   - the uncovered lines of lightclient/*.c and channels/ibc_*.c as "file: line ranges"
#     (a range spans lines that hold no code), also in $BUILD/cov/report/uncovered.txt.
# The annotated sources, every line with its count, go to $BUILD/cov/report/html/.
# Not a pass/fail gate: the exit status is 1 only when a replay itself failed (a test that
# fails or a corpus input that crashes here: `make test` is where those are judged), after
# the report is printed. Env: BUILD (default build), SHARED (the vectors, as for make test),
# CC (the clang that built build/cov; its llvm-profdata/llvm-cov versions are used),
# CW_COV_FILES (extended regex of the files whose uncovered lines are listed).
set -uo pipefail
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD_ABS=$(cd "$BUILD" && pwd)
COV="$BUILD_ABS/cov"
OUT="$COV/report"
PROF="$COV/profiles"
export CW_SHARED=${SHARED:-$(cd "$ROOT/.." && pwd)/shared}
export CW_BUILD=$BUILD_ABS
FOCUS=${CW_COV_FILES:-'^(lightclient/[^/]*|channels/ibc_[^/]*)\.c$'}

# llvm tools of the same major version as the compiler (the .profraw format follows it)
ver=$("${CC:-clang}" --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\)\..*/\1/p' | head -1)
tool() {
  if [ -n "$ver" ] && command -v "$1-$ver" >/dev/null 2>&1; then echo "$1-$ver"
  elif command -v "$1" >/dev/null 2>&1; then echo "$1"
  else echo "coverage: $1 not found (Debian package llvm; make deps installs it)" >&2; exit 1; fi
}
PROFDATA=$(tool llvm-profdata) || exit 1
LLVMCOV=$(tool llvm-cov) || exit 1

units=$(find "$COV/tests" -type f -perm -u+x -name 'test_*' 2>/dev/null | sort)
fuzzers=$(find "$COV/fuzz" -maxdepth 1 -type f -perm -u+x -name 'fuzz_*' 2>/dev/null | sort)
if [ -z "$units" ] && [ -z "$fuzzers" ]; then
  echo "coverage: nothing built in $COV (make build-cov)" >&2
  exit 1
fi
rm -rf "$PROF" "$OUT"
mkdir -p "$PROF" "$OUT/logs"
failures=()
t0=$(date +%s)

echo "== replaying the unit and conformance tests and the ICS-23 oracle (instrumented, no sanitizers)"
for bin in $units; do
  name=$(basename "$bin")
  LLVM_PROFILE_FILE="$PROF/$name-%p.profraw" "$bin" >"$OUT/logs/$name.log" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ]; then
    failures+=("$name"); printf '  %-34s FAILED (exit %d, %s)\n' "$name" "$rc" "$OUT/logs/$name.log"
  fi
done
diff_bin="$COV/tests/oracle/ics23_diff" oracle_bin="$BUILD_ABS/oracle/release/ics23-oracle"
if [ -x "$diff_bin" ] && [ -x "$oracle_bin" ]; then
  vec=(); [ -d "$CW_SHARED/vectors/ics23" ] && vec=(--vectors "$CW_SHARED/vectors/ics23")
  LLVM_PROFILE_FILE="$PROF/ics23_diff-%p.profraw" "$diff_bin" --oracle "$oracle_bin" \
    --allowed tests/oracle/ics23-allowed.txt "${vec[@]}" --seed "${CW_ORACLE_SEED:-1}" \
    --cases "${CW_ORACLE_CASES:-12000}" >"$OUT/logs/ics23_diff.log" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ]; then
    failures+=(ics23_diff); printf '  %-34s FAILED (exit %d, %s)\n' ics23_diff "$rc" "$OUT/logs/ics23_diff.log"
  fi
  units="$units $diff_bin"
else
  echo "  ICS-23 oracle not built ($oracle_bin; make build-oracle, needs cargo): not replayed"
fi
t1=$(date +%s)
echo "   $(echo "$units" | wc -w) test programs in $((t1 - t0)) s"

echo "== replaying the fuzz corpora (libFuzzer -runs=0)"
nin=0
for bin in $fuzzers; do
  name=$(basename "$bin")
  [ -f "tests/fuzz/$name.c" ] || continue   # a stale binary of a renamed/removed target
  dirs=()
  for d in "tests/fuzz/corpus/$name" "$BUILD_ABS/fuzz-corpus/$name"; do
    [ -d "$d" ] && [ -n "$(ls -A "$d")" ] && dirs+=("$d")
  done
  [ ${#dirs[@]} -gt 0 ] || { printf '  %-34s no corpus\n' "$name"; continue; }
  n=$(find "${dirs[@]}" -type f | wc -l); nin=$((nin + n))
  LLVM_PROFILE_FILE="$PROF/$name-%p.profraw" "$bin" -runs=0 -rss_limit_mb=2048 -timeout=60 \
    "${dirs[@]}" >"$OUT/logs/$name.log" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ]; then
    failures+=("$name"); printf '  %-34s FAILED (exit %d, %s)\n' "$name" "$rc" "$OUT/logs/$name.log"
  else
    printf '  %-34s %6d inputs  %s\n' "$name" "$n" "${dirs[*]#$ROOT/}"
  fi
done
t2=$(date +%s)
echo "   $nin inputs in $((t2 - t1)) s"

shopt -s nullglob
raws=("$PROF"/*.profraw)
if [ ${#raws[@]} -eq 0 ]; then echo "coverage: no profile was written" >&2; exit 1; fi
"$PROFDATA" merge -sparse "${raws[@]}" -o "$COV/merged.profdata" || exit 1

objs=()
for b in $units $fuzzers; do
  if [ ${#objs[@]} -eq 0 ]; then objs+=("$b"); else objs+=(-object "$b"); fi
done
# only the project's own sources: not the tests, benches, generated protobuf or system headers
ign="^/usr/|^$ROOT/(tests|bench)/|^$BUILD_ABS/"
common=(-instr-profile="$COV/merged.profdata" -ignore-filename-regex="$ign")

echo "== line and branch coverage per file ($OUT/summary.txt)"
"$LLVMCOV" report "${objs[@]}" "${common[@]}" -show-region-summary=false \
  -show-instantiation-summary=false >"$OUT/summary.txt" || exit 1
# (the list of headers that hold no function is left out)
sed -e "s|$ROOT/||" -e '/^Files which contain no functions:/,/^---/{/^---/!d}' "$OUT/summary.txt" | tee "$OUT/summary.tmp" && mv "$OUT/summary.tmp" "$OUT/summary.txt"

# per-line counts (lcov) -> for the focus files: "file  lines covered/total  branches
# covered/total  uncovered: ranges", a range running over lines that hold no code
"$LLVMCOV" export -format=lcov "${objs[@]}" "${common[@]}" >"$COV/coverage.lcov" || exit 1
echo "== uncovered lines of ${FOCUS} ($OUT/uncovered.txt)"
awk -v root="$ROOT/" -v focus="$FOCUS" '
  function flush(   s, i, start, prev, n) {
    if (file == "" || file !~ focus) return
    printf "%s  lines %d/%d  branches %d/%d\n", file, lh, lf, brh, brf
    start = -1; prev = -1; n = 0; col = 0
    for (i = 1; i <= nz; i++) {
      s = z[i]
      # lines between prev and s: merged when none of them holds covered code
      if (start >= 0 && !covered_between(prev, s)) { prev = s; continue }
      if (start >= 0) emit(start, prev, n++)
      start = s; prev = s
    }
    if (start >= 0) emit(start, prev, n++)
    if (n) printf "\n"
  }
  # one range, the lines wrapped at 100 columns under "  uncovered: "
  function emit(a, b, k,   r) {
    r = (a == b ? a : a "-" b)
    if (k == 0) { printf "  uncovered: %s", r; col = 13 + length(r); return }
    if (col + 2 + length(r) > 100) { printf ",\n             %s", r; col = 13 + length(r) }
    else { printf ", %s", r; col += 2 + length(r) }
  }
  function covered_between(a, b,   l) {
    for (l = a + 1; l < b; l++) if (l in hit) return 1
    return 0
  }
  /^SF:/ { file = substr($0, 4); sub("^" root, "", file); nz = 0; lf = lh = brf = brh = 0
           delete hit; next }
  /^DA:/ { split(substr($0, 4), a, ","); if (a[2] + 0 == 0) z[++nz] = a[1] + 0; else hit[a[1] + 0] = 1; next }
  /^LF:/ { lf = substr($0, 4); next }
  /^LH:/ { lh = substr($0, 4); next }
  /^BRF:/ { brf = substr($0, 5); next }
  /^BRH:/ { brh = substr($0, 5); next }
  /^end_of_record/ { flush(); file = "" }
' "$COV/coverage.lcov" | tee "$OUT/uncovered.txt"

"$LLVMCOV" show "${objs[@]}" "${common[@]}" -format=html -show-branches=count \
  -output-dir="$OUT/html" >/dev/null 2>&1 || echo "coverage: llvm-cov show (html) failed" >&2
t3=$(date +%s)
echo "coverage: $((t3 - t0)) s (tests $((t1 - t0)) s, corpora $((t2 - t1)) s, report $((t3 - t2)) s);" \
  "annotated sources: $OUT/html/index.html"
if [ ${#failures[@]} -gt 0 ]; then
  echo "coverage: replays that failed (their counts are missing above): ${failures[*]}" >&2
  exit 1
fi

# Sourced by scripts/run-fuzz.sh (make fuzz) and scripts/run-tests.sh (the fuzz smoke): the
# sanitizer options and each target's RSS limit, so both runs fail on the same bounds.
#
# ASan keeps freed memory in a quarantine (256 MiB by default) to catch use after free; a
# target that frees a lot per input fills it within seconds and its RSS then sits at
# quarantine + the allocator's per-size-class free lists + the target's own memory:
# fuzz_ics23_diff reached 321 MB in 4 s and 475 MB in 20 s with large inputs (64 KiB
# arena chunks of many sizes), with nothing leaked (its RSS is flat at 74 MB with a 16 MiB
# quarantine). One input allocates at most a few MiB, so a 64 MiB quarantine still holds
# everything an input frees until the input ends: use after free within an input is
# still caught, and RSS measures the targets, not the quarantine. An ASAN_OPTIONS in the
# environment is kept and these are appended (the last setting of an option wins).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=64"

# fuzz_rss_limit NAME: the -rss_limit_mb for a target. Set from measured peaks (make fuzz
# FUZZ_SECONDS=60, 64 MiB quarantine, 2026-12-07) with headroom for longer runs; a target
# over its limit is a finding (a leak or unbounded growth), not noise.
fuzz_rss_limit() {
  case "$1" in
    *) echo 512 ;;
  esac
}

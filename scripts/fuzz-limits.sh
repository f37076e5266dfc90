# Sourced by scripts/run-fuzz.sh (make fuzz) and scripts/run-tests.sh (the fuzz smoke): the
# sanitizer options and each target's RSS limit, so both runs fail on the same bounds.
#
# ASan keeps freed memory in a quarantine (256 MiB by default) to catch use after free; a
# target that frees a lot per input fills it within seconds and its RSS then sits at
# quarantine + the allocator's per-size-class free lists + the target's own memory:
# fuzz_ics23_roundtrip (then named fuzz_ics23_diff) reached 321 MB in 4 s and 475 MB in 20 s with large inputs (64 KiB
# arena chunks of many sizes), with nothing leaked (its RSS is flat at 74 MB with a 16 MiB
# quarantine). One input allocates at most a few MiB, so a 64 MiB quarantine still holds
# everything an input frees until the input ends: use after free within an input is
# still caught, and RSS measures the targets, not the quarantine. An ASAN_OPTIONS in the
# environment is kept and these are appended (the last setting of an option wins).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=64"

# fuzz_rss_limit NAME: the -rss_limit_mb for a target: twice its measured peak (make fuzz
# FUZZ_SECONDS=60 from the seed corpus, 64 MiB quarantine, 2026-12-07) rounded up to 64 MB,
# at least 256; a target over its limit is a finding (a leak or unbounded growth). About
# 90 MB of every peak is libFuzzer, ASan's shadow and allocator, and the quarantine.
fuzz_rss_limit() {
  case "$1" in
    fuzz_codec)           echo 320 ;;  # peak 151 MB
    fuzz_ics23_roundtrip) echo 448 ;;  # peak 190 MB; 209 MB in 120 s with -max_len=65536
    fuzz_ics23_exist)     echo 256 ;;  # peak 92 MB
    fuzz_ics23_nonexist)  echo 256 ;;  # peak 108 MB
    fuzz_lend_msgs)       echo 256 ;;  # peak 119 MB
    fuzz_lc_struct)       echo 256 ;;  # peak 125 MB (make fuzz FUZZ_SECONDS=900)
    fuzz_ics23_struct)    echo 256 ;;  # peak 99 MB (make fuzz FUZZ_SECONDS=900)
    fuzz_lightblock)      echo 320 ;;  # peak 147 MB
    fuzz_lightblock_msgs) echo 320 ;;  # peak 149 MB
    fuzz_msgs)            echo 384 ;;  # peak 163 MB
    fuzz_packet)          echo 384 ;;  # peak 183 MB
    fuzz_recv_packet)     echo 320 ;;  # peak 157 MB
    fuzz_relayer_events)  echo 320 ;;  # peak 131 MB
    fuzz_rpc_frame)       echo 320 ;;  # peak 142 MB
    fuzz_rpc_results)     echo 320 ;;  # peak 135 MB
    fuzz_smt_ops)         echo 256 ;;  # peak 115 MB
    fuzz_tx)              echo 384 ;;  # peak 174 MB
    fuzz_ics20)           echo 320 ;;  # peak 160 MB (20 s, 2026-12-07)
    fuzz_tendermint)      echo 384 ;;  # peak 184 MB (22 M executions, 85 min); 82-90 MB over 101 M with a 16 MiB quarantine
    *)                    echo 512 ;;  # a new target: measure it and add a line
  esac
}

#!/usr/bin/env bash
# The layering rule (docs/DESIGN.md §2), checked on the built archives and the sources:
#   1. no relayer/ or cli/ object needs a symbol that only channels/ (libcwhost) or chain/
#      (libcwchain) defines — the link would fail anyway; this names the symbol and file;
#   2. no relayer/ or cli/ source includes a header of the host, the apps or the chain;
#   3. no core source (common/, lightclient/, client/) includes one either.
# Usage: scripts/check-layers.sh BUILD_FLAVOUR_DIR (e.g. build/rel). Exit 1 on a breach.
set -uo pipefail
dir=${1:-build/rel}
bad=0
host_headers='causeway/(ibc|bank|collateral|lending|echo|transfer)\.h|\.\./(chain|channels|relayer|cli)/'

defs=$(mktemp); trap 'rm -f "$defs"' EXIT
nm --defined-only "$dir/libcwhost.a" "$dir/libcwchain.a" 2>/dev/null |
  awk 'NF == 3 && $2 ~ /[TDBR]/ {print $3}' | sort -u >"$defs"
for lib in libcwrelayer libcwcli; do
  for o in "$dir/$lib.a" "$dir/$( [ $lib = libcwcli ] && echo cli || echo relayer)/main.o"; do
    while read -r sym; do
      if grep -qxF "$sym" "$defs"; then
        echo "layering: $(basename "$o") ($lib) needs $sym, defined only in channels/ or chain/"
        bad=1
      fi
    done < <(nm -u "$o" 2>/dev/null | awk '{print $NF}' | sort -u)
  done
done

for f in relayer/*.[ch] cli/*.[ch] common/*.c lightclient/*.c client/*.c include/causeway/*.h; do
  [ -e "$f" ] || continue
  case "$f" in include/causeway/ibc.h|include/causeway/bank.h|include/causeway/collateral.h|\
               include/causeway/lending.h|include/causeway/echo.h|include/causeway/transfer.h) continue ;; esac
  if grep -nE "#include +[<\"]($host_headers)" "$f" | sed "s|^|layering: $f:|" | grep .; then
    bad=1
  fi
done
[ "$bad" -eq 0 ] && echo "layering: relayer and CLI link only libcwcore; no cross-layer include"
exit "$bad"

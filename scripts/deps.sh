#!/usr/bin/env bash
# Install what the build needs, from Debian's packages, when it is missing.
# Idempotent and quick when everything is present (pkg-config and command checks only).
#   scripts/deps.sh         what the build and tests need
#   scripts/deps.sh image   what `make image` needs besides: debootstrap (docker/make-base.sh)
#   scripts/deps.sh coverage  what `make coverage` needs besides: llvm-profdata and llvm-cov
#                           of clang's version (Debian package llvm-<N>, N = clang's major)
set -euo pipefail

debs=()
need_pc() { pkg-config --exists "$1" 2>/dev/null || debs+=("$2"); }
need_cmd() { command -v "$1" >/dev/null 2>&1 || debs+=("$2"); }
# install the Debian packages in debs (as root; otherwise say how, and fail)
install_debs() {
  [ ${#debs[@]} -gt 0 ] || return 0
  echo "deps: installing Debian packages: ${debs[*]}"
  if [ "$(id -u)" != 0 ]; then
    local them=them
    [ ${#debs[@]} -gt 1 ] || them=it
    echo "deps: not root; install $them with: sudo apt-get install ${debs[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${debs[@]}" >/dev/null
}

if [ "${1:-}" = image ]; then
  need_cmd debootstrap debootstrap
  install_debs
  exit 0
fi

if [ "${1:-}" = coverage ]; then
  # the .profraw format follows the compiler: the tools must be of clang's major version
  v=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\)\..*/\1/p' | head -1)
  if [ -n "$v" ]; then
    for t in llvm-profdata llvm-cov; do
      command -v "$t-$v" >/dev/null 2>&1 || { debs+=("llvm-$v"); break; }
    done
  else
    need_cmd llvm-profdata llvm
    need_cmd llvm-cov llvm
  fi
  install_debs
  exit 0
fi

need_cmd pkg-config pkg-config
need_cmd gcc gcc
need_cmd make make
if command -v pkg-config >/dev/null 2>&1; then
  need_pc libwebsockets libwebsockets-dev
  need_pc libsecp256k1 libsecp256k1-dev
  need_pc msgpack libmsgpack-dev
  need_pc libcrypto libssl-dev
  need_pc libprotobuf-c libprotobuf-c-dev
  need_pc lmdb liblmdb-dev
  need_pc jansson libjansson-dev
  need_pc cmocka libcmocka-dev
else
  debs+=(libwebsockets-dev libsecp256k1-dev libmsgpack-dev libssl-dev libprotobuf-c-dev
         liblmdb-dev libjansson-dev libcmocka-dev)
fi
need_cmd protoc-c protobuf-c-compiler
need_cmd clang clang
# libFuzzer and the sanitizer runtimes for clang 14
[ -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ] ||
  ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1 ||
  debs+=(libclang-rt-14-dev)
need_cmd python3 python3
# promtool checks the relayer's /metrics in the integration suite (about 20 s to install)
need_cmd promtool prometheus

install_debs

# Python packages for the integration tests: an independent MessagePack-RPC client
# (msgpack, websockets), BIP-340 signing through libsecp256k1 (coincurve, whose wheels
# bundle the library) and PyYAML (test_monitoring reads the compose and Prometheus files),
# with pip: the machine's python3 may be a pyenv build, and Debian 12 has no coincurve
# package, so there is no apt fallback.
PYPKGS="pytest msgpack websockets coincurve pyyaml"
if ! python3 -c 'import pytest, msgpack, websockets, coincurve, yaml' >/dev/null 2>&1; then
  echo "deps: installing Python packages: $PYPKGS"
  python3 -m pip install -q $PYPKGS 2>/dev/null ||
    python3 -m pip install -q --break-system-packages $PYPKGS 2>/dev/null ||
    { echo "deps: cannot install $PYPKGS for $(command -v python3) with pip" >&2; exit 1; }
fi

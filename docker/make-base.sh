#!/usr/bin/env bash
# Build the base image causeway-base:bookworm from Debian packages, for an engine that can
# pull nothing: debootstrap a minbase bookworm with the binaries' runtime libraries, strip
# what a container never reads (apt lists and caches, docs, man pages, locales), and
# `docker import` it. Run by `make image` only when the image is missing.
#
#   docker/make-base.sh [TAG]          TAG defaults to causeway-base:bookworm
#
# The mirror is the one this host's apt uses (the first deb.debian.org-style "debian" URI in
# /etc/apt/sources.list.d/* or /etc/apt/sources.list serving bookworm); CAUSEWAY_DEBIAN_MIRROR
# overrides it. Needs root (debootstrap), debootstrap and a Docker engine.
set -euo pipefail
TAG=${1:-causeway-base:bookworm}
SUITE=bookworm
# The runtime libraries of causeway-chain, causeway-relayer and causeway (ldd, Debian 12).
# Keep in sync with RUNTIME_DEBS in docker/Dockerfile.
LIBS=libwebsockets17,libsecp256k1-1,libmsgpackc2,liblmdb0,libjansson4,libssl3,libprotobuf-c1,ca-certificates

host_mirror() {
  # deb822 files: a stanza whose Suites list holds $SUITE and whose URIs end in /debian
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    awk -v suite="$SUITE" '
      /^[[:space:]]*$/ { if (u != "" && s) { print u; exit } u = ""; s = 0; next }
      /^URIs:/   { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) u = $i }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) s = 1 }
      END        { if (u != "" && s) print u }' "$f"
  done
  # one-line files: deb URI SUITE COMPONENTS
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk -v suite="$SUITE" '$1 == "deb" {
      for (i = 2; i <= NF; i++) if ($i !~ /^\[/) break
      if ($(i+1) == suite && $i ~ /\/debian\/?$/) print $i }'
  return 0
}

MIRROR=${CAUSEWAY_DEBIAN_MIRROR:-$(host_mirror | sed -n 1p)}
if [ -z "$MIRROR" ]; then
  echo "make-base: no Debian $SUITE mirror found in /etc/apt/sources.list{,.d/*};" \
       "set CAUSEWAY_DEBIAN_MIRROR" >&2
  exit 1
fi
command -v debootstrap >/dev/null || { echo "make-base: debootstrap is not installed" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "make-base: debootstrap needs root" >&2; exit 1; }

DIR=$(mktemp -d "${TMPDIR:-/tmp}/causeway-base.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
echo "make-base: debootstrap --variant=minbase $SUITE from $MIRROR (a few minutes)"
debootstrap --variant=minbase --include="$LIBS" "$SUITE" "$DIR" "$MIRROR" \
  >"$DIR.log" 2>&1 || { tail -n 30 "$DIR.log" >&2; rm -f "$DIR.log"; exit 1; }
rm -f "$DIR.log"

# What a container never reads. dpkg's own database stays, so `dpkg-query` (the
# Dockerfile's check for missing libraries) and apt-get still work in the image.
rm -rf "$DIR"/var/cache/apt/* "$DIR"/var/lib/apt/lists/* "$DIR"/var/cache/debconf/*-old \
       "$DIR"/var/log/* "$DIR"/usr/share/doc/* "$DIR"/usr/share/man/* \
       "$DIR"/usr/share/info/* "$DIR"/usr/share/lintian "$DIR"/usr/share/bash-completion \
       "$DIR"/tmp/* "$DIR"/root/.[!.]* 2>/dev/null || true
find "$DIR"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias \
  -exec rm -rf {} + 2>/dev/null || true
# Keep dpkg from putting them back if the image ever installs a package.
mkdir -p "$DIR"/etc/dpkg/dpkg.cfg.d
cat >"$DIR"/etc/dpkg/dpkg.cfg.d/01-causeway-nodoc <<'CFG'
path-exclude=/usr/share/doc/*
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
CFG
# apt in the image uses the same mirror as the host did.
echo "deb $MIRROR $SUITE main" >"$DIR"/etc/apt/sources.list

echo "make-base: importing $(du -sh "$DIR" | cut -f1) as $TAG"
tar --numeric-owner -C "$DIR" -c . |
  docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' --message "causeway base: debootstrap minbase $SUITE" - "$TAG"

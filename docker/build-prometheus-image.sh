#!/usr/bin/env bash
# `make image` (second part): the Prometheus image of the compose `monitoring` profile,
# causeway-prometheus:latest, from Debian's `prometheus` package on an engine that can pull
# nothing (DESIGN §10):
#   1. the base: $BASE if given (an engine with a registry: debian:bookworm-slim), else
#      causeway-base:bookworm (docker/make-base.sh makes it when missing);
#   2. the .debs: the host's apt resolves `prometheus` (no recommends) against the base's
#      own dpkg status and downloads only what the base lacks, into the build context — the
#      build itself needs no network;
#   3. docker build of docker/prometheus/Dockerfile, which installs them with apt.
# Skipped when the image exists and was built from this Dockerfile and the same package
# version (its labels say so); PROM_REBUILD=1 forces it. The config and the alerting rules
# are not in the image: compose mounts docker/prometheus/ (edit them, then restart).
set -euo pipefail
cd "$(dirname "$0")/.."
PROM_IMAGE=${PROM_IMAGE:-causeway-prometheus:latest}
BASE_IMAGE=${BASE_IMAGE:-causeway-base:bookworm}
BASE=${BASE:-}
DOCKERFILE=docker/prometheus/Dockerfile

if [ -z "$BASE" ]; then
  BASE=$BASE_IMAGE
  if ! docker image inspect "$BASE" >/dev/null 2>&1; then
    echo "image: base $BASE missing: making it from Debian packages"
    docker/make-base.sh "$BASE"
  fi
fi

version=$(apt-cache policy prometheus 2>/dev/null | sed -n 's/^ *Candidate: //p')
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  apt-get update -qq
  version=$(apt-cache policy prometheus | sed -n 's/^ *Candidate: //p')
fi
stamp="$(sha256sum "$DOCKERFILE" | cut -c1-16) $BASE $version"
have=$(docker image inspect --format '{{ index .Config.Labels "org.causeway.build" }}' \
       "$PROM_IMAGE" 2>/dev/null || true)
if [ "$have" = "$stamp" ] && [ -z "${PROM_REBUILD:-}" ]; then
  echo "image: $PROM_IMAGE present (prometheus $version)"
  exit 0
fi

ctx=$(mktemp -d "${TMPDIR:-/tmp}/causeway-prometheus.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/debs/partial" "$ctx/docker/prometheus"
# the base's installed packages, as apt's "installed" state for the resolution below
docker run --rm --entrypoint cat "$BASE" /var/lib/dpkg/status >"$ctx/status"
echo "image: downloading prometheus $version and what $BASE lacks of its dependencies"
download() {
  apt-get install -qq --download-only --no-install-recommends -y \
    -o Dir::State::status="$ctx/status" -o Dir::Cache::archives="$ctx/debs" \
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root prometheus >/dev/null
}
# stale package lists name files the mirror no longer has: refresh them once
download || { apt-get update -qq && download; }
rm -rf "$ctx/debs/partial" "$ctx/debs/lock"
ls "$ctx"/debs/prometheus_*.deb >/dev/null
cp "$DOCKERFILE" "$ctx/docker/prometheus/"

echo "image: docker build $PROM_IMAGE from $BASE ($(ls "$ctx/debs" | wc -l) packages)"
docker build -q --build-arg "BASE=$BASE" --label "org.causeway.build=$stamp" \
  -f "$ctx/docker/prometheus/Dockerfile" -t "$PROM_IMAGE" "$ctx" >/dev/null
bytes=$(docker image inspect --format '{{.Size}}' "$PROM_IMAGE")
echo "image: $PROM_IMAGE is $(( (bytes + 999999) / 1000000 )) MB ($bytes bytes)"

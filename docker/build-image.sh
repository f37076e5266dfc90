#!/usr/bin/env bash
# `make image`: build the causeway image on an engine that can pull nothing.
#   1. the base: $BASE if given (e.g. BASE=debian:bookworm-slim on an engine with a
#      registry), else causeway-base:bookworm, made from Debian packages by
#      docker/make-base.sh when the engine does not have it yet;
#   2. docker build of docker/Dockerfile with a small context holding only the release
#      binaries ($BUILD/rel/bin, built by `make`) and docker/entrypoint.sh, laid out as in
#      the repository, so the same Dockerfile also builds from the repository's root;
#   3. the image's size, which must stay under 100 MB (MAX_IMAGE_MB).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
IMAGE=${IMAGE:-causeway:latest}
BASE_IMAGE=${BASE_IMAGE:-causeway-base:bookworm}
BASE=${BASE:-}
MAX_IMAGE_MB=${MAX_IMAGE_MB:-100}

if [ -z "$BASE" ]; then
  BASE=$BASE_IMAGE
  if docker image inspect "$BASE" >/dev/null 2>&1; then
    echo "image: base $BASE present"
  else
    echo "image: base $BASE missing: making it from Debian packages"
    docker/make-base.sh "$BASE"
  fi
fi

for b in causeway-chain causeway-relayer causeway; do
  [ -x "$BUILD/rel/bin/$b" ] || { echo "image: $BUILD/rel/bin/$b missing (run make)" >&2; exit 1; }
done
ctx=$(mktemp -d "${TMPDIR:-/tmp}/causeway-image.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/build/rel/bin" "$ctx/docker"
cp "$BUILD"/rel/bin/{causeway-chain,causeway-relayer,causeway} "$ctx/build/rel/bin/"
strip --strip-debug "$ctx"/build/rel/bin/* 2>/dev/null || true
cp docker/entrypoint.sh "$ctx/docker/"

echo "image: docker build $IMAGE from $BASE"
docker build -q --build-arg "BASE=$BASE" -f docker/Dockerfile -t "$IMAGE" "$ctx" >/dev/null

bytes=$(docker image inspect --format '{{.Size}}' "$IMAGE")
mb=$(( (bytes + 999999) / 1000000 ))
echo "image: $IMAGE is $mb MB ($bytes bytes)"
if [ "$mb" -ge "$MAX_IMAGE_MB" ]; then
  echo "image: $IMAGE is $mb MB, over the ${MAX_IMAGE_MB} MB budget" >&2
  exit 1
fi

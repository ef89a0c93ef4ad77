#!/bin/sh
# Builds the images Faultline's container runtime, its Docker tests and
# docker-compose.yml use, from this checkout and this machine alone: no
# image is pulled, so it works where no registry can be reached.
#
#   scripts/docker-build.sh [faultline|redis|all]     (default: all)
#
#   faultline  a static faultline binary (CGO_ENABLED=0) in an image FROM
#              scratch (the Dockerfile): Raft KV nodes (`faultline node`),
#              Toxiproxy (`faultline toxiproxy`) and the harness itself.
#              Tag: $FAULTLINE_IMAGE, default faultline:local.
#   redis      the host's redis-server (Debian: apt-get install redis-server)
#              and the libraries it links, FROM scratch
#              (scripts/redis.Dockerfile). Tag: $REDIS_IMAGE, default
#              faultline-redis:local.
#
# GOARCH picks the faultline image's architecture (default: the host's);
# the Redis image is always the host's.
set -eu

what=${1:-all}
root=$(cd "$(dirname "$0")/.." && pwd)
faultline_image=${FAULTLINE_IMAGE:-faultline:local}
redis_image=${REDIS_IMAGE:-faultline-redis:local}

build_faultline() {
  ctx=$(mktemp -d "${TMPDIR:-/tmp}/faultline-image.XXXXXX")
  echo "building a static faultline binary for linux" >&2
  (cd "$root" && CGO_ENABLED=0 GOOS=linux go build -trimpath -o "$ctx/faultline" ./cmd/faultline)
  cp "$root/Dockerfile" "$ctx/Dockerfile"
  echo "building image $faultline_image" >&2
  docker build -q -t "$faultline_image" "$ctx" >/dev/null
  rm -rf "$ctx"
}

build_redis() {
  server=$(command -v redis-server || true)
  if [ -z "$server" ]; then
    echo "redis-server is not installed: apt-get install redis-server (Debian), then run this again" >&2
    exit 1
  fi
  ctx=$(mktemp -d "${TMPDIR:-/tmp}/faultline-redis-image.XXXXXX")
  mkdir -p "$ctx/rootfs/usr/bin"
  # Debian's redis-server is a link to redis-check-rdb, which acts on the
  # name it is called by: copy the file under the server's name.
  cp -L "$server" "$ctx/rootfs/usr/bin/redis-server"
  # Every library the server links, and the dynamic loader, at the paths
  # the binary looks for them.
  for lib in $(ldd "$server" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    mkdir -p "$ctx/rootfs$(dirname "$lib")"
    cp -L "$lib" "$ctx/rootfs$lib"
  done
  cp "$root/scripts/redis.Dockerfile" "$ctx/Dockerfile"
  echo "building image $redis_image from $("$server" --version | cut -d' ' -f1-3)" >&2
  docker build -q -t "$redis_image" "$ctx" >/dev/null
  rm -rf "$ctx"
}

case $what in
  faultline) build_faultline ;;
  redis) build_redis ;;
  all) build_faultline; build_redis ;;
  *) echo "usage: scripts/docker-build.sh [faultline|redis|all]" >&2; exit 2 ;;
esac

#!/bin/sh
# Builds the images Faultline's container runtime, its Docker tests and
# docker-compose.yml use, from this checkout and this machine alone: no
# image is pulled, so it works where no registry can be reached.
#
#   scripts/docker-build.sh [faultline|toxiproxy|harness|redis|all]  (default: all)
#
#   faultline  a static faultline binary (CGO_ENABLED=0) in an image FROM
#              scratch (the Dockerfile): Raft KV nodes (`faultline node`),
#              Toxiproxy (`faultline toxiproxy`) and the harness itself.
#              Tag: $FAULTLINE_IMAGE, default faultline:local.
#   toxiproxy  the faultline image with `faultline toxiproxy --listen
#              0.0.0.0:8474` as its entrypoint: a stand-in for
#              ghcr.io/shopify/toxiproxy. Tag: $TOXIPROXY_IMAGE, default
#              faultline-toxiproxy:local. Needs the faultline image.
#   harness    the faultline image with the host's etcd (Debian:
#              apt-get install etcd-server) and the libraries it links: the
#              compose stack's faultline service, whose smoke campaign runs
#              etcd too. Tag: $FAULTLINE_HARNESS_IMAGE, default
#              faultline-harness:local. Needs the faultline image.
#   redis      the host's redis-server (Debian: apt-get install redis-server)
#              and the libraries it links, FROM scratch
#              (scripts/redis.Dockerfile): a stand-in for redis:7.
#              Tag: $REDIS_IMAGE, default faultline-redis:local.
#
# scripts/local-images.env names the local images for docker-compose.yml.
# GOARCH picks the faultline binary's architecture (default: the host's);
# the images that copy host binaries (harness, redis) are the host's.
set -eu

what=${1:-all}
root=$(cd "$(dirname "$0")/.." && pwd)
faultline_image=${FAULTLINE_IMAGE:-faultline:local}
toxiproxy_image=${TOXIPROXY_IMAGE:-faultline-toxiproxy:local}
harness_image=${FAULTLINE_HARNESS_IMAGE:-faultline-harness:local}
redis_image=${REDIS_IMAGE:-faultline-redis:local}

# build TAG CONTEXT: docker build, quietly; the context is removed.
build() {
  echo "building image $1" >&2
  docker build -q -t "$1" "$2" >/dev/null
  rm -rf "$2"
}

# copy_with_libs BINARY NAME ROOTFS: BINARY into ROOTFS/usr/bin/NAME, with
# every library it links and the dynamic loader, at the paths it looks for
# them.
copy_with_libs() {
  mkdir -p "$3/usr/bin"
  cp -L "$1" "$3/usr/bin/$2"
  for lib in $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    mkdir -p "$3$(dirname "$lib")"
    cp -L "$lib" "$3$lib"
  done
}

# need COMMAND PACKAGE: the path of COMMAND, or a message and exit 1.
need() {
  path=$(command -v "$1" || true)
  if [ -z "$path" ]; then
    echo "$1 is not installed: apt-get install $2 (Debian), then run this again" >&2
    exit 1
  fi
  echo "$path"
}

build_faultline() {
  ctx=$(mktemp -d "${TMPDIR:-/tmp}/faultline-image.XXXXXX")
  echo "building a static faultline binary for linux" >&2
  (cd "$root" && CGO_ENABLED=0 GOOS=linux go build -trimpath -o "$ctx/faultline" ./cmd/faultline)
  cp "$root/Dockerfile" "$ctx/Dockerfile"
  build "$faultline_image" "$ctx"
}

build_toxiproxy() {
  ctx=$(mktemp -d "${TMPDIR:-/tmp}/faultline-toxiproxy-image.XXXXXX")
  printf '%s\n' "FROM $faultline_image" "EXPOSE 8474" \
    'ENTRYPOINT ["/faultline", "toxiproxy", "--listen", "0.0.0.0:8474"]' >"$ctx/Dockerfile"
  build "$toxiproxy_image" "$ctx"
}

build_harness() {
  etcd=$(need etcd etcd-server)
  ctx=$(mktemp -d "${TMPDIR:-/tmp}/faultline-harness-image.XXXXXX")
  copy_with_libs "$etcd" etcd "$ctx/rootfs"
  mkdir -p "$ctx/rootfs/tmp" # scratch has none; etcd and Go look for one
  printf '%s\n' "FROM $faultline_image" "COPY rootfs/ /" "ENV PATH=/usr/bin" \
    'ENTRYPOINT ["/faultline"]' >"$ctx/Dockerfile"
  echo "with $("$etcd" --version | head -1)" >&2
  build "$harness_image" "$ctx"
}

build_redis() {
  server=$(need redis-server redis-server)
  ctx=$(mktemp -d "${TMPDIR:-/tmp}/faultline-redis-image.XXXXXX")
  # Debian's redis-server is a link to redis-check-rdb, which acts on the
  # name it is called by: copy the file under the server's name.
  copy_with_libs "$server" redis-server "$ctx/rootfs"
  cp "$root/scripts/redis.Dockerfile" "$ctx/Dockerfile"
  echo "from $("$server" --version | cut -d' ' -f1-3)" >&2
  build "$redis_image" "$ctx"
}

case $what in
  faultline) build_faultline ;;
  toxiproxy) build_toxiproxy ;;
  harness) build_harness ;;
  redis) build_redis ;;
  all) build_faultline; build_toxiproxy; build_harness; build_redis ;;
  *) echo "usage: scripts/docker-build.sh [faultline|toxiproxy|harness|redis|all]" >&2; exit 2 ;;
esac

#!/bin/sh
# Builds the faultline Docker image (default tag faultline:local) from this
# checkout: compiles a static faultline binary for Linux on the host and runs
# `docker build` with a context holding only that binary and the Dockerfile.
#
#   scripts/docker-build.sh [TAG]
#
# GOARCH picks the image's architecture (default: the host's).
set -eu

tag=${1:-faultline:local}
root=$(cd "$(dirname "$0")/.." && pwd)
ctx=$(mktemp -d "${TMPDIR:-/tmp}/faultline-image.XXXXXX")
trap 'rm -rf "$ctx"' EXIT INT TERM

echo "building a static faultline binary for linux" >&2
(cd "$root" && CGO_ENABLED=0 GOOS=linux go build -trimpath -o "$ctx/faultline" ./cmd/faultline)
cp "$root/Dockerfile" "$ctx/Dockerfile"

echo "building image $tag" >&2
docker build -t "$tag" "$ctx"

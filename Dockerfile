# Faultline in an image that holds nothing but its static binary.
#
# The binary is compiled on the host (CGO_ENABLED=0, so it needs no libc)
# rather than in a builder stage: that way building the image never pulls a
# base image, and works where no registry can be reached. Build it with
#
#   scripts/docker-build.sh faultline  # tags faultline:local
#
# which compiles ./cmd/faultline into a temporary build context next to a
# copy of this file and runs `docker build` on it (the script builds the
# other images of the stack from this one and from Debian's packages).
#
# The image runs anything the CLI does: Raft KV nodes (`faultline node ...`,
# Raft traffic on 7000, clients, /status and /metrics on 8000) for
# `--runtime docker` and docker-compose.yml, and Toxiproxy (`faultline
# toxiproxy`). There is no shell in the image.
FROM scratch
COPY faultline /faultline
EXPOSE 7000 8000
ENTRYPOINT ["/faultline"]

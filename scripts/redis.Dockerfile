# Redis in an image built from this machine alone: Debian's redis-server
# binary and the shared libraries it links, copied from the host by
# scripts/docker-build.sh (never pulled: hosts without a registry can build
# it). Where a registry is reachable, the public redis image does the same job.
#
# No config file: protected mode is off so that clients on the container
# network can connect, there is no password, and nothing is persisted
# beyond the container (a test server, not a production one).
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin
WORKDIR /data
EXPOSE 6379
CMD ["redis-server", "--protected-mode", "no", "--save", "", "--appendonly", "no"]

#!/usr/bin/env bash
# Make the Debian bookworm base image locally, from Debian's own packages, for machines where
# no container registry is reachable: debootstrap --variant=minbase + podman import.
#
#   scripts/image/base.sh            print the base image's name, building it first if missing
#
# The rootfs tarball is cached in $CACHE_DIR (a second run on the same machine only imports
# it, or does nothing if the image is already in local storage). Where a registry is
# reachable, build with BASE_IMAGE=docker.io/library/debian:bookworm-slim instead.
set -euo pipefail
# shellcheck source=scripts/image/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"

ensure_cache_dir
tarball="$CACHE_DIR/debian-$SUITE-minbase.tar"

exec 9>"$CACHE_DIR/base.lock"
flock 9

if image_exists "$BASE_TAG"; then
  log "base image $BASE_TAG is in local storage"
  printf '%s\n' "$BASE_TAG"
  exit 0
fi

if [[ ! -s "$tarball" ]]; then
  command -v debootstrap >/dev/null || die "debootstrap is missing (make image-tools installs it)"
  [[ "$(id -u)" == 0 ]] || die "debootstrap needs root"
  rootfs="$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")"
  trap 'rm -rf "$rootfs"' EXIT
  log "debootstrap --variant=minbase $SUITE from $MIRROR (about 40 s)"
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1 ||
    { tail -20 "$CACHE_DIR/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE_DIR/debootstrap.log)"; }

  # The same sources as the official debian:bookworm images, security updates included.
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  # Like the official images: no downloaded packages or lists kept, no recommends.
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'APTCONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
APTCONF
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
    >"$rootfs/etc/apt/apt.conf.d/docker-no-recommends"
  rm -rf "${rootfs:?}"/var/cache/apt/archives/*.deb "${rootfs:?}"/var/lib/apt/lists/* \
    "${rootfs:?}"/var/log/*.log "${rootfs:?}"/var/log/apt/* "${rootfs:?}"/tmp/* "${rootfs:?}"/dev/*
  : >"$rootfs/etc/machine-id"

  tar --numeric-owner --xattrs -C "$rootfs" -cf "$tarball.partial" .
  mv "$tarball.partial" "$tarball"
  rm -rf "$rootfs"
  trap - EXIT
  log "cached $tarball ($(du -h "$tarball" | cut -f1))"
fi

log "importing $tarball as $BASE_TAG"
podman_ import --quiet \
  --change 'CMD ["bash"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "LABEL org.opencontainers.image.title=debian-$SUITE-minbase" \
  --message "debootstrap --variant=minbase $SUITE $MIRROR" \
  "$tarball" "$BASE_TAG" >/dev/null
printf '%s\n' "$BASE_TAG"

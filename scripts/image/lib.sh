#!/usr/bin/env bash
# Shared by the scripts in scripts/image/: where things are, and buildah/podman with the flags
# this kind of machine needs (no Docker engine; vfs storage; runc; cgroupfs; lowered ulimits
# because CAP_SYS_RESOURCE is dropped). Source it; it defines functions and variables only.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Expensive, reusable things (debootstrap tarball, tools venv). Self-ignoring for git, like
# .pytest_cache: a .gitignore containing '*' is written into it.
CACHE_DIR="${CONVEYOR_IMAGE_CACHE:-$REPO_ROOT/.cache/image}"
# The locally made Debian base (used when no registry is reachable).
BASE_TAG="${CONVEYOR_BASE_TAG:-localhost/conveyor-base:bookworm}"
IMAGE="${CONVEYOR_IMAGE:-localhost/conveyor:dev}"
OCI_RUNTIME="${CONVEYOR_OCI_RUNTIME:-runc}"

# overlay when the kernel mounts it here (a container starts in ~1 s), else vfs (always works,
# but every container start copies the whole image: ~20 s for this one).
overlay_works() {
  [[ "$(id -u)" == 0 ]] || return 1
  local probe rc=1
  probe="$(mktemp -d)" || return 1
  mkdir -p "$probe"/{lower,upper,work,merged}
  if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" \
    "$probe/merged" 2>/dev/null; then
    umount "$probe/merged"
    rc=0
  fi
  rm -rf "$probe"
  return "$rc"
}
if [[ -z "${CONVEYOR_STORAGE_DRIVER:-}" ]]; then
  if overlay_works; then CONVEYOR_STORAGE_DRIVER=overlay; else CONVEYOR_STORAGE_DRIVER=vfs; fi
  export CONVEYOR_STORAGE_DRIVER
fi
STORAGE_DRIVER="$CONVEYOR_STORAGE_DRIVER"
# The project's own container storage, one per driver, so it never clashes with whatever
# driver the machine's default storage (/var/lib/containers/storage) was set up with.
STORAGE_ROOT="${CONVEYOR_STORAGE_ROOT:-/var/lib/containers/conveyor-$STORAGE_DRIVER}"
STORAGE_RUNROOT="${CONVEYOR_STORAGE_RUNROOT:-/run/containers/conveyor-$STORAGE_DRIVER}"

export REPO_ROOT CACHE_DIR BASE_TAG IMAGE

log() { printf '[image] %s\n' "$*" >&2; }
die() { printf '[image] error: %s\n' "$*" >&2; exit 1; }

ensure_cache_dir() {
  mkdir -p "$CACHE_DIR"
  local top="$REPO_ROOT/.cache"
  if [[ "$CACHE_DIR" == "$top"/* && ! -e "$top/.gitignore" ]]; then
    printf '# created by scripts/image: everything here is a rebuildable cache\n*\n' >"$top/.gitignore"
  fi
}

STORAGE_FLAGS=(--storage-driver "$STORAGE_DRIVER" --root "$STORAGE_ROOT" --runroot "$STORAGE_RUNROOT")

buildah_() { buildah "${STORAGE_FLAGS[@]}" "$@"; }

podman_() {
  podman "${STORAGE_FLAGS[@]}" --runtime "$OCI_RUNTIME" --cgroup-manager cgroupfs \
    --events-backend file "$@"
}

# `podman run` with the flags every container here needs.
podman_run() {
  podman_ run --ulimit nofile=1024:1024 --ulimit nproc=1000:1000 "$@"
}

image_exists() { podman_ image exists "$1" 2>/dev/null; }

# The CA of a TLS-intercepting proxy, when the machine has one: passed to builds as a secret.
# CONVEYOR_BUILD_CA wins; "none" disables it.
build_ca_file() {
  local ca="${CONVEYOR_BUILD_CA:-}"
  if [[ "$ca" == none ]]; then return 0; fi
  if [[ -n "$ca" ]]; then
    [[ -r "$ca" ]] || die "CONVEYOR_BUILD_CA=$ca is not readable"
    printf '%s\n' "$ca"
    return 0
  fi
  # The machine's whole trust store holds the proxy's CA where there is one (Debian:
  # update-ca-certificates merges /usr/local/share/ca-certificates into it).
  local f
  for f in "${SSL_CERT_FILE:-}" "${PIP_CERT:-}" /etc/ssl/certs/ca-certificates.crt; do
    if [[ -n "$f" && -r "$f" ]]; then printf '%s\n' "$f"; return 0; fi
  done
}

#!/usr/bin/env bash
# Build the Conveyor image with buildah (no Docker engine needed).
#
#   scripts/image/build.sh                 BASE_IMAGE unset: the locally made Debian base
#   BASE_IMAGE=docker.io/library/debian:bookworm-slim scripts/image/build.sh
#
# Environment: IMAGE (tag, default localhost/conveyor:dev), BASE_IMAGE, CONVEYOR_BUILD_CA
# (a proxy CA file, passed as the build secret `build_ca`; default: the machine's trust
# store, which holds the proxy's CA where there is one; "none": no secret), IMAGE_SOURCE.
set -euo pipefail
# shellcheck source=scripts/image/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

command -v buildah >/dev/null || die "buildah is missing (make image-tools installs it)"
base="${BASE_IMAGE:-}"
if [[ -z "$base" ]]; then
  base="$(bash scripts/image/base.sh)"
fi

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml | head -n1)"
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
source_url="${IMAGE_SOURCE:-$(git remote get-url origin 2>/dev/null || echo unknown)}"
created="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

# Layer cache: with overlay it makes a rebuild of unchanged inputs take seconds; with vfs every
# cached step is a full copy of the filesystem, slower than building without it.
layers="${CONVEYOR_BUILD_LAYERS:-$([[ "$STORAGE_DRIVER" == overlay ]] && echo true || echo false)}"
args=(
  bud --isolation chroot --network host --format docker --layers="$layers"
  --file deploy/docker/Dockerfile --tag "$IMAGE"
  --build-arg "BASE_IMAGE=$base"
  --build-arg "VERSION=$version" --build-arg "REVISION=$revision"
  --build-arg "SOURCE=$source_url" --build-arg "CREATED=$created"
)
# The same values again as labels set at commit: buildah's layer cache keys the Dockerfile's
# LABEL step by its text, not by the build-arg values, so a cached step would keep old ones.
args+=(
  --label "org.opencontainers.image.version=$version"
  --label "org.opencontainers.image.revision=$revision"
  --label "org.opencontainers.image.source=$source_url"
  --label "org.opencontainers.image.created=$created"
  --label "org.opencontainers.image.base.name=$base"
)
ca="$(build_ca_file)"
if [[ -n "$ca" ]]; then args+=(--secret "id=build_ca,src=$ca"); fi

log "building $IMAGE from $base"
start=$SECONDS
buildah_ "${args[@]}" "$REPO_ROOT"
size="$(podman_ image inspect --format '{{.Size}}' "$IMAGE")"
log "built $IMAGE in $((SECONDS - start)) s: $((size / 1000000)) MB ($size bytes)"

#!/usr/bin/env bash
# podman with the project's container storage and the flags this kind of machine needs, e.g.
#   scripts/image/podman.sh images
#   scripts/image/podman.sh run --rm --network host -e CONVEYOR_DATABASE_URL=... localhost/conveyor:dev migrate
# `run` and `create` get lowered ulimits (CAP_SYS_RESOURCE is dropped here).
set -euo pipefail
# shellcheck source=scripts/image/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
case "${1:-}" in
  run | create)
    sub="$1"
    shift
    podman_ "$sub" --ulimit nofile=1024:1024 --ulimit nproc=1000:1000 "$@"
    ;;
  *) podman_ "$@" ;;
esac

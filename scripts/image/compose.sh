#!/usr/bin/env bash
# Run the Compose stack (deploy/compose/compose.yaml) with whatever Compose this machine has.
#
#   scripts/image/compose.sh up        .env from .env.example with random passwords (once),
#                                      then up -d (and wait for health where supported)
#   scripts/image/compose.sh down      stop and remove containers and network (volume kept;
#                                      COMPOSE_DOWN_ARGS=--volumes to drop the data too)
#   scripts/image/compose.sh check     validate the file (docker-compose config -q), offline
#   scripts/image/compose.sh ARGS...   any other Compose command, e.g. ps, logs -f api
#
# Compose implementation: COMPOSE if set, else `docker compose` (v2), else `docker-compose`,
# else `podman-compose`. The stack needs a container engine that can pull postgres and
# redis (or POSTGRES_IMAGE/REDIS_IMAGE pointing at local ones) and the Conveyor image
# (`make image`; CONVEYOR_IMAGE to use another tag).
set -euo pipefail
# shellcheck source=scripts/image/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="$REPO_ROOT/deploy/compose"
file="$dir/compose.yaml"
env_file="$dir/.env"
project="${COMPOSE_PROJECT_NAME:-conveyor}"

compose_cmd() {
  if [[ -n "${COMPOSE:-}" ]]; then
    read -r -a COMPOSE_ARGV <<<"$COMPOSE"
  elif command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
    COMPOSE_ARGV=(docker compose)
  elif command -v docker-compose >/dev/null; then
    COMPOSE_ARGV=(docker-compose)
  elif command -v podman-compose >/dev/null; then
    COMPOSE_ARGV=(podman-compose)
  else
    die "no Compose found: install Docker Compose (or apt-get install docker-compose / podman-compose)"
  fi
}

make_env_file() {
  [[ -e "$env_file" ]] && return 0
  log "creating $env_file from .env.example with random passwords (git-ignored)"
  local pg redis
  pg="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
  redis="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
  umask 077
  sed -e "s/^POSTGRES_PASSWORD=.*/POSTGRES_PASSWORD=$pg/" -e "s/^REDIS_PASSWORD=.*/REDIS_PASSWORD=$redis/" \
    "$dir/.env.example" >"$env_file"
}

cmd="${1:-}"
[[ -n "$cmd" ]] || die "usage: $0 up|down|check|COMPOSE-ARGS..."
shift

if [[ "$cmd" == check ]]; then
  # Docker Compose v1 (Debian's docker-compose) validates the file against the Compose
  # schema without an engine. Once with the example values, once without any: a missing
  # secret must stop it.
  command -v docker-compose >/dev/null || die "docker-compose is missing (make image-tools)"
  docker-compose --project-directory "$dir" -f "$file" --env-file "$dir/.env.example" config -q
  empty="$(mktemp)"
  trap 'rm -f "$empty"' EXIT
  if (cd / && env -u POSTGRES_PASSWORD -u REDIS_PASSWORD docker-compose --project-directory "$dir" \
    -f "$file" --env-file "$empty" config -q) 2>/dev/null; then
    die "compose.yaml accepted a configuration without POSTGRES_PASSWORD/REDIS_PASSWORD"
  fi
  log "compose.yaml is valid"
  exit 0
fi

compose_cmd
base=("${COMPOSE_ARGV[@]}" --project-name "$project" --file "$file" --env-file "$env_file")
case "$cmd" in
  up)
    make_env_file
    wait_flag=()
    if [[ "${COMPOSE_ARGV[*]}" == "docker compose" ]]; then wait_flag=(--wait); fi
    "${base[@]}" up --detach "${wait_flag[@]}" "$@"
    "${base[@]}" ps
    cat >&2 <<MSG
[image] API: http://127.0.0.1:${CONVEYOR_API_PUBLISHED_PORT:-8000}/api/v1 — an admin key:
        ${base[*]} run --rm migrate admin create-key --email admin@example.com --role admin
MSG
    ;;
  down)
    [[ -e "$env_file" ]] || env_file="$dir/.env.example"
    base=("${COMPOSE_ARGV[@]}" --project-name "$project" --file "$file" --env-file "$env_file")
    read -r -a extra <<<"${COMPOSE_DOWN_ARGS:-}"
    "${base[@]}" down "${extra[@]}" "$@"
    ;;
  *)
    "${base[@]}" "$cmd" "$@"
    ;;
esac

#!/usr/bin/env bash
# The observability checks' tools, installed when missing (idempotent):
#  - promtool and prometheus: Debian's prometheus package (bookworm: 2.42; ADR 0500);
#  - Node.js for the dashboard schema and LogQL checks, and their npm packages exactly as
#    scripts/observability/js/package-lock.json pins them (npm ci).
# Sloth, Alertmanager and amtool are Go tools: `make tools` builds them (tools/sloth,
# tools/alertmanager; Debian's Alertmanager 0.25 cannot read a webhook URL from a file).
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=""
command -v promtool >/dev/null || missing="$missing prometheus"
command -v prometheus >/dev/null || missing="$missing prometheus"
command -v node >/dev/null || missing="$missing nodejs"
command -v npm >/dev/null || missing="$missing npm"
missing=$(echo "$missing" | tr ' ' '\n' | sort -u | tr '\n' ' ')
if [ -n "${missing// /}" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "observability-tools: apt-get install$missing"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "missing:$missing — install them (Debian/Ubuntu: sudo apt-get install$missing)" >&2
    exit 1
  fi
fi

js=scripts/observability/js
if [ ! -f "$js/node_modules/.package-lock.json" ] || [ "$js/package-lock.json" -nt "$js/node_modules/.package-lock.json" ]; then
  npm ci --prefix "$js" --no-audit --no-fund --silent
fi

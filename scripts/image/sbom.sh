#!/usr/bin/env bash
# CycloneDX SBOM (JSON, spec 1.6) of the Python environment inside the image: cyclonedx-py
# runs in a container of the image itself (network off, read-only) and reads the installed
# distributions of /opt/conveyor, so the SBOM lists what ships, not what the lockfile or
# the developer's venv holds.
#
#   scripts/image/sbom.sh [OUTPUT]       default OUTPUT: dist/sbom/conveyor-image-python.cdx.json
#
# Builds the image first when it is missing. The tool comes from the tools venv
# (scripts/image/tools.sh), mounted read-only and put on sys.path in-process only, so its own
# packages do not end up in the SBOM.
set -euo pipefail
# shellcheck source=scripts/image/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

out="${1:-dist/sbom/conveyor-image-python.cdx.json}"
image_exists "$IMAGE" || bash scripts/image/build.sh
site="$(echo "$CACHE_DIR"/tools/lib/python3*/site-packages)"
[[ -d "$site/cyclonedx_py" ]] || die "cyclonedx-bom is missing: run scripts/image/tools.sh"

epoch="$(git log -1 --format=%ct 2>/dev/null || date +%s)"
mkdir -p "$(dirname "$out")"
bootstrap='import runpy, sys
sys.path.insert(0, "/opt/sbom-tools")
sys.argv = ["cyclonedx-py", "environment", "--pyproject", "/opt/sbom/pyproject.toml",
            "--spec-version", "1.6", "--output-format", "JSON", "--output-reproducible",
            "--validate", "/opt/conveyor/bin/python"]
runpy.run_module("cyclonedx_py", run_name="__main__")'
podman_run --rm --network none --read-only --no-healthcheck \
  --volume "$site:/opt/sbom-tools:ro" \
  --volume "$REPO_ROOT/pyproject.toml:/opt/sbom/pyproject.toml:ro" \
  --env SOURCE_DATE_EPOCH="$epoch" \
  --entrypoint /usr/bin/python3.11 "$IMAGE" -I -c "$bootstrap" >"$out.partial"

# Say which image the SBOM describes.
image_id="$(podman_ image inspect --format '{{.Id}}' "$IMAGE")"
revision="$(podman_ image inspect --format '{{index .Labels "org.opencontainers.image.revision"}}' "$IMAGE")"
python3 - "$out.partial" "$IMAGE" "$image_id" "$revision" <<'PY'
import json
import sys

path, image, image_id, revision = sys.argv[1:]
with open(path) as f:
    bom = json.load(f)
props = bom.setdefault("metadata", {}).setdefault("properties", [])
props += [
    {"name": "conveyor:image", "value": image},
    {"name": "conveyor:image-id", "value": f"sha256:{image_id}"},
    {"name": "conveyor:revision", "value": revision},
    {"name": "conveyor:python-environment", "value": "/opt/conveyor"},
]
with open(path, "w") as f:
    json.dump(bom, f, indent=2)
    f.write("\n")
PY
mv "$out.partial" "$out"
count="$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1])).get("components", [])))' "$out")"
log "SBOM: $out ($count components)"

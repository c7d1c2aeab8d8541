#!/usr/bin/env bash
# End to end on a real kind cluster (GitHub's runners have Docker, kind, helm and kubectl;
# these machines have no Docker, so this runs on GitHub only: ci.yml, job e2e-kind).
#   1. a kind cluster; 2. the image `make image` built, loaded into it; 3. the chart installed
#   with the values in $E2E_VALUES; 4. `helm test`; 5. a job submitted through the API
#   succeeds (scripts/delivery/smoke.py through a port-forward).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
cluster="${KIND_CLUSTER:-conveyor-e2e}"
namespace="${E2E_NAMESPACE:-conveyor-e2e}"
chart=deploy/helm/conveyor
values="${E2E_VALUES:-$chart/ci/kind-values.yaml}"
image="${CONVEYOR_IMAGE:-localhost/conveyor:dev}"

for tool in docker kind helm kubectl; do
  command -v "$tool" >/dev/null || { echo "kind-test: $tool is missing (this target needs Docker: GitHub runners)" >&2; exit 1; }
done
[[ -f "$chart/Chart.yaml" ]] || { echo "kind-test: $chart is missing" >&2; exit 1; }

cleanup() { kind delete cluster --name "$cluster" >/dev/null 2>&1 || true; }
trap cleanup EXIT
kind create cluster --name "$cluster" --wait 180s
archive="$(mktemp -d)/conveyor.tar"
bash scripts/image/podman.sh save --format docker-archive -o "$archive" "$image"
kind load image-archive "$archive" --name "$cluster"

helm upgrade --install conveyor "$chart" --namespace "$namespace" --create-namespace \
  --values "$values" --wait --timeout 10m
helm test conveyor --namespace "$namespace" --timeout 5m

# The smoke test's key: the chart's e2e values create it as a Secret (conveyor-e2e-smoke).
api_key="$(kubectl -n "$namespace" get secret conveyor-e2e-smoke -o jsonpath='{.data.api-key}' | base64 -d)"
kubectl -n "$namespace" port-forward svc/conveyor-api 18000:8000 >/dev/null &
forward=$!
trap 'kill "$forward" 2>/dev/null || true; cleanup' EXIT
CONVEYOR_SMOKE_URL=http://127.0.0.1:18000 CONVEYOR_SMOKE_API_KEY="$api_key" \
  .venv/bin/python scripts/delivery/smoke.py --timeout 180

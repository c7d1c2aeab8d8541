#!/usr/bin/env bash
# make kind-up / make kind-down: Conveyor on a real (kind) cluster, for people with Docker.
#
#   up    a kind cluster (one control plane, three workers in three zones), the image built and
#         loaded, a throwaway PostgreSQL, the admission policies, the chart installed with
#         values-dev.yaml, `helm test`, and a smoke job submitted and watched until it succeeds
#   down  deletes the cluster
#
# Needs docker and kind on PATH; kubectl and helm come from `make tools` (.cache/tools/bin).
# It cannot run on machines without Docker (the project's CI sandboxes): there the local
# control plane of scripts/k8s/controlplane.py is what `make test` uses (docs/kubernetes.md).
set -euo pipefail

cd "$(dirname "$0")/../.."
CLUSTER=${KIND_CLUSTER:-conveyor}
NAMESPACE=conveyor-dev
IMAGE_REPOSITORY=localhost/conveyor
IMAGE_TAG=${CONVEYOR_IMAGE_TAG:-dev}
PATH="$PWD/.cache/tools/bin:$PATH"

require() {
  command -v "$1" >/dev/null || { echo "kind.sh: $1 is required ($2)" >&2; exit 1; }
}

cluster_config() {
  cat <<'EOF'
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
  - role: worker
    labels: {topology.kubernetes.io/zone: zone-a}
  - role: worker
    labels: {topology.kubernetes.io/zone: zone-b}
  - role: worker
    labels: {topology.kubernetes.io/zone: zone-c}
EOF
}

postgres() {
  # A throwaway database for the smoke test only; production uses an external PostgreSQL.
  local password=$1
  kubectl create namespace conveyor-db --dry-run=client -o yaml | kubectl apply -f -
  kubectl -n conveyor-db create secret generic postgres --from-literal=password="$password" \
    --dry-run=client -o yaml | kubectl apply -f -
  kubectl -n conveyor-db apply -f - <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: postgres}
spec:
  selector: {matchLabels: {app: postgres}}
  template:
    metadata: {labels: {app: postgres}}
    spec:
      containers:
        - name: postgres
          image: docker.io/library/postgres:16-bookworm
          env:
            - {name: POSTGRES_USER, value: conveyor}
            - {name: POSTGRES_DB, value: conveyor}
            - name: POSTGRES_PASSWORD
              valueFrom: {secretKeyRef: {name: postgres, key: password}}
          ports: [{containerPort: 5432}]
          readinessProbe:
            exec: {command: [pg_isready, --username=conveyor, --host=127.0.0.1]}
---
apiVersion: v1
kind: Service
metadata: {name: postgres}
spec:
  selector: {app: postgres}
  ports: [{port: 5432}]
EOF
  kubectl -n conveyor-db rollout status deployment/postgres --timeout=180s
}

smoke_job() {
  # Through the API with the project's own client, inside the api pod (its only way in here).
  local key
  key=$(kubectl -n "$NAMESPACE" exec deploy/conveyor-api -- \
    conveyor admin create-key --email kind@localhost --role operator --name kind-smoke | tail -n 1)
  kubectl -n "$NAMESPACE" exec deploy/conveyor-api -- env CONVEYOR_SMOKE_KEY="$key" python3 -c '
import os, time
from conveyor.client import Client
with Client("http://127.0.0.1:8000", os.environ["CONVEYOR_SMOKE_KEY"]) as conveyor:
    job = conveyor.submit({"type": "echo", "payload": {"hello": "kind"}})
    for _ in range(120):
        state = conveyor.get_job(job.id).state
        if state == "succeeded":
            print(f"kind.sh: smoke job {job.id} succeeded")
            raise SystemExit(0)
        time.sleep(1)
    raise SystemExit(f"kind.sh: smoke job {job.id} is still {state} after 2 minutes")
'
}

up() {
  require docker "https://docs.docker.com/engine/install/"
  require kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
  require helm "run make tools"
  require kubectl "run make tools"
  kind get clusters | grep -qx "$CLUSTER" || cluster_config | kind create cluster --name "$CLUSTER" --config -
  docker build -f deploy/docker/Dockerfile -t "$IMAGE_REPOSITORY:$IMAGE_TAG" .
  kind load docker-image --name "$CLUSTER" "$IMAGE_REPOSITORY:$IMAGE_TAG"

  local password
  password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
  postgres "$password"
  kubectl apply --server-side -f deploy/policies/admission
  kubectl apply --server-side -f deploy/kustomize/overlays/dev/namespace.yaml
  kubectl -n "$NAMESPACE" create secret generic conveyor-database \
    --from-literal=url="postgresql://conveyor:$password@postgres.conveyor-db.svc:5432/conveyor" \
    --dry-run=client -o yaml | kubectl apply -f -
  helm upgrade --install conveyor deploy/helm/conveyor -n "$NAMESPACE" \
    -f deploy/helm/conveyor/values-dev.yaml \
    --set image.repository="$IMAGE_REPOSITORY" --set image.tag="$IMAGE_TAG" --set image.pullPolicy=Never \
    --wait --timeout 5m
  helm test conveyor -n "$NAMESPACE"
  smoke_job
  kubectl -n "$NAMESPACE" get deployments
}

down() {
  require kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
  kind delete cluster --name "$CLUSTER"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac

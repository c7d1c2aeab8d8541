#!/usr/bin/env bash
# Configuration scans, offline: Trivy (`trivy config`, its built-in checks; no vulnerability
# database needed) and checkov over what the repository deploys. Any failed check fails; the
# skipped ones are listed with reasons in scripts/delivery/checkov.yaml and .trivyignore.yaml.
#
# Targets that exist are scanned; each one absent from this tree is named, not silently
# passed (the chart, the Kustomize overlays and Terraform arrive with their own areas).
# Compose files are checked by `make compose-check` and tests/deploy/test_compose.py: neither
# Trivy nor checkov has a Compose scanner.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bin=.cache/delivery/venv/bin
export BC_SKIP_MAPPING=TRUE # checkov: no download of its guideline mapping (offline)

# path -> what it is
declare -A TARGETS=(
  [deploy/docker]="Dockerfile"
  [deploy/helm]="Helm chart (Trivy renders it)"
  [deploy/kustomize]="Kubernetes manifests"
  [infra/terraform]="Terraform"
)
present=()
for path in deploy/docker deploy/helm deploy/kustomize infra/terraform; do
  if [[ -e "$path" ]]; then
    present+=("$path")
  else
    echo "config-scan: $path (${TARGETS[$path]}) is not in this tree: nothing to scan there"
  fi
done

for path in "${present[@]}"; do
  echo "config-scan: trivy config $path"
  "$bin/trivy" config --skip-check-update --quiet --exit-code 1 \
    --ignorefile .trivyignore.yaml "$path"
done

checkov_dirs=()
for path in "${present[@]}" .github; do checkov_dirs+=(-d "$path"); done
echo "config-scan: checkov ${checkov_dirs[*]}"
"$bin/checkov" --config-file scripts/delivery/checkov.yaml \
  --framework dockerfile,github_actions,kubernetes,terraform "${checkov_dirs[@]}"

#!/usr/bin/env bash
# The Helm chart packaged at a release tag's version: dist/release/conveyor-X.Y.Z.tgz.
#   scripts/delivery/chart_package.sh vX.Y.Z
# helm comes from PATH (GitHub's runners have it) or .cache/tools/bin (make tools).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
tag="${1:?usage: chart_package.sh vX.Y.Z}"
[[ "$tag" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || { echo "chart-package: $tag is not vX.Y.Z" >&2; exit 2; }
chart=deploy/helm/conveyor
[[ -f "$chart/Chart.yaml" ]] || { echo "chart-package: $chart/Chart.yaml is missing" >&2; exit 1; }
helm="$(command -v helm || echo .cache/tools/bin/helm)"
[[ -x "$helm" ]] || { echo "chart-package: helm is missing (PATH or make tools)" >&2; exit 1; }
version="${tag#v}"
mkdir -p dist/release
"$helm" lint "$chart"
"$helm" package "$chart" --version "$version" --app-version "$version" --destination dist/release

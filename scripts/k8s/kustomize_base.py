"""deploy/kustomize's base and components, rendered from the Helm chart (ADR 0404): the chart is
the one source of Kubernetes objects; these files are its output, committed so that Kustomize
(and Argo CD / Flux) read plain manifests, and checked for staleness by the tests.

    python scripts/k8s/kustomize_base.py           # re-render after changing the chart
    python scripts/k8s/kustomize_base.py --check   # exit 1 when a rendering is stale
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "conveyor"
KUSTOMIZE = REPO / "deploy" / "kustomize"
HELM = REPO / ".cache" / "tools" / "bin" / "helm"
# The Kubernetes version the renderings are made for (the control plane of tools/kubernetes).
KUBE_VERSION = "1.36.3"
RELEASE = "conveyor"

# The base: every process with its settings, no optional parts (each overlay picks components).
_BASE_VALUES: dict[str, Any] = {
    "image": {"tag": "0.1.0"},
    "database": {"existingSecret": "conveyor-database"},
    "networkPolicy": {"enabled": False},
    **{c: {"pdb": {"enabled": False, "maxUnavailable": 1}} for c in ("api", "web", "worker", "scheduler")},
}
_PDB_VALUES: dict[str, Any] = {
    **_BASE_VALUES,
    **{c: {"pdb": {"enabled": True, "maxUnavailable": 1}} for c in ("api", "web", "worker", "scheduler")},
}
_HPA_VALUES: dict[str, Any] = {
    **_BASE_VALUES,
    "api": {
        "autoscaling": {
            "enabled": True,
            "minReplicas": 2,
            "maxReplicas": 6,
            "targetCPUUtilizationPercentage": 70,
        }
    },
    "worker": {"autoscaling": {"enabled": True, "mode": "hpa", "minReplicas": 2, "maxReplicas": 10}},
}
_KEDA_VALUES: dict[str, Any] = {
    **_BASE_VALUES,
    "api": {
        "autoscaling": {
            "enabled": True,
            "minReplicas": 3,
            "maxReplicas": 12,
            "targetCPUUtilizationPercentage": 65,
        }
    },
    "worker": {
        "autoscaling": {
            "enabled": True,
            "mode": "keda",
            "minReplicas": 3,
            "maxReplicas": 30,
            "keda": {"prometheusServerAddress": "http://prometheus-operated.monitoring.svc:9090"},
        }
    },
}

# file (under deploy/kustomize) -> (values over the chart's defaults, templates shown)
RENDERINGS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "base/conveyor.yaml": (
        _BASE_VALUES,
        ["serviceaccount.yaml", "configmap.yaml", "deployments.yaml", "services.yaml", "migrate-job.yaml"],
    ),
    "components/disruption-budgets/poddisruptionbudgets.yaml": (_PDB_VALUES, ["poddisruptionbudgets.yaml"]),
    "components/network-policies/networkpolicies.yaml": (
        {**_BASE_VALUES, "networkPolicy": {"enabled": True}},
        ["networkpolicies.yaml"],
    ),
    "components/monitoring/servicemonitor.yaml": (
        {**_BASE_VALUES, "metrics": {"serviceMonitor": {"enabled": True}}},
        ["monitoring.yaml"],
    ),
    "components/autoscaling-cpu/autoscaling.yaml": (_HPA_VALUES, ["autoscaling.yaml"]),
    "components/autoscaling-queue-depth/autoscaling.yaml": (_KEDA_VALUES, ["autoscaling.yaml"]),
}
HEADER = "# Rendered from deploy/helm/conveyor by scripts/k8s/kustomize_base.py; do not edit by hand.\n"


def render(values: dict[str, Any], templates: list[str]) -> str:
    if not HELM.exists():
        raise SystemExit(f"{HELM} is missing: run `make tools` first")
    with tempfile.NamedTemporaryFile("w", suffix=".json") as values_file:
        json.dump(values, values_file)
        values_file.flush()
        argv = [
            str(HELM),
            "template",
            RELEASE,
            str(CHART),
            "--kube-version",
            KUBE_VERSION,
            "-f",
            values_file.name,
        ]
        for template in templates:
            argv += ["--show-only", f"templates/{template}"]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise SystemExit(f"helm template failed: {result.stderr.strip()}")
    # Helm leaves whitespace-only lines and trailing blank lines; the committed files are
    # clean text (pre-commit's whitespace hooks), with one final newline.
    lines = [line.rstrip() for line in result.stdout.rstrip().splitlines()]
    return HEADER + "\n".join(lines) + "\n"


def stale() -> list[str]:
    return [
        name
        for name, (values, templates) in RENDERINGS.items()
        if not (KUSTOMIZE / name).exists() or (KUSTOMIZE / name).read_text() != render(values, templates)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="fail when a rendering is stale")
    args = parser.parse_args()
    if args.check:
        outdated = stale()
        if outdated:
            print("stale (run python scripts/k8s/kustomize_base.py): " + ", ".join(outdated), file=sys.stderr)
            return 1
        return 0
    for name, (values, templates) in RENDERINGS.items():
        path = KUSTOMIZE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(values, templates))
    return 0


if __name__ == "__main__":
    sys.exit(main())

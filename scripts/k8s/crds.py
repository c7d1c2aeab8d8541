"""The CustomResourceDefinitions the renderings use (ServiceMonitor, PodMonitor, PrometheusRule,
ScaledObject, HTTPRoute, Gateway), taken from their projects' own Go modules at pinned versions
(downloaded and checksum-verified by `go mod download`), never copied into this repository.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

# module@version -> the CRD files inside it
CRD_SOURCES: dict[str, tuple[str, ...]] = {
    "github.com/prometheus-operator/prometheus-operator@v0.85.0": (
        "example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml",
        "example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml",
        "example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml",
    ),
    "github.com/kedacore/keda/v2@v2.21.0": ("config/crd/bases/keda.sh_scaledobjects.yaml",),
    # Velero's Schedule and Backup (deploy/velero: the cluster-state backups).
    "github.com/vmware-tanzu/velero@v1.18.3": (
        "config/crd/v1/bases/velero.io_schedules.yaml",
        "config/crd/v1/bases/velero.io_backups.yaml",
    ),
    "sigs.k8s.io/gateway-api@v1.6.3": (
        "config/crd/standard/gateway.networking.k8s.io_gateways.yaml",
        "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml",
    ),
}


class CrdError(RuntimeError):
    """A pinned module could not be fetched; the message names it and Go's error."""


def module_dir(module_at_version: str) -> Path:
    """The module's directory in Go's module cache, downloaded (and verified) if absent."""
    go = shutil.which("go")
    if go is None:
        raise CrdError("go is not on PATH: it fetches the pinned modules (Go 1.26, see docs/tools.md)")
    result = subprocess.run(
        [go, "mod", "download", "-json", module_at_version],
        capture_output=True,
        text=True,
        timeout=600,
    )
    info = json.loads(result.stdout) if result.stdout.strip() else {}
    if result.returncode != 0 or "Dir" not in info:
        raise CrdError(f"go mod download {module_at_version}: {info.get('Error') or result.stderr.strip()}")
    return Path(info["Dir"])


def crd_files() -> list[Path]:
    return [module_dir(module) / path for module, paths in CRD_SOURCES.items() for path in paths]

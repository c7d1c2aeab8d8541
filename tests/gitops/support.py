"""Helpers for the GitOps tests: the pinned modules' CRDs and files (scripts/gitops/upstream.py),
the ApplicationSet rendering and the checker (scripts/gitops), on top of the Kubernetes tests'
helpers (tests/k8s/support.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from tests.k8s.support import TOOLS_BIN, ControlPlane, controlplane, documents, run
from tests.support import REPO

sys.path.insert(0, str(REPO / "scripts" / "gitops"))
import applicationset
import check
import promotion
import upstream

GITOPS = REPO / "deploy" / "gitops"

__all__ = [
    "GITOPS",
    "TOOLS_BIN",
    "ControlPlane",
    "applicationset",
    "check",
    "controlplane",
    "documents",
    "promotion",
    "run",
    "upstream",
]


def install_upstream(plane: ControlPlane) -> None:
    for crd in upstream.crd_files():
        plane.kubectl("apply", "--server-side", "-f", str(crd))
    plane.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")


def apply(plane: ControlPlane, objects: list[dict[str, Any]], *extra: str) -> str:
    return plane.kubectl(
        "apply", "--server-side", "--field-manager=gitops-tests", *extra, "-f", "-",
        stdin=yaml.safe_dump_all(objects, sort_keys=False),
    )  # fmt: skip


def ensure_namespace(plane: ControlPlane, name: str) -> None:
    labels = {"app.kubernetes.io/part-of": "conveyor"} if name.startswith("conveyor-") else {}
    apply(plane, [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}])


def files(directory: Path) -> list[dict[str, Any]]:
    return [d for path in sorted(directory.glob("*.yaml")) for d in documents(path.read_text())]

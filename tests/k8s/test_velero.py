"""Velero's Schedule and Backup for Conveyor's cluster state (deploy/velero) against
Velero's own CRDs (v1.18.3, from its Go module: scripts/k8s/crds.py) on the local control
plane: admitted with strict field validation, and a malformed one refused naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.k8s.support import ControlPlane, controlplane
from tests.support import REPO

VELERO = REPO / "deploy" / "velero"


@pytest.fixture(scope="module")
def velero_namespace(cluster: ControlPlane) -> str:
    cluster.kubectl(
        "apply",
        "--server-side",
        "-f",
        "-",
        stdin="apiVersion: v1\nkind: Namespace\nmetadata: {name: velero}\n",
    )
    return "velero"


def test_the_schedule_is_admitted_by_veleros_crd(cluster: ControlPlane, velero_namespace: str) -> None:
    out = cluster.kubectl(
        "apply",
        "--server-side",
        "--field-manager=drills",
        "--validate=strict",
        "-f",
        str(VELERO / "schedule.yaml"),
    )
    assert "schedule.velero.io/conveyor-prod-daily serverside-applied" in out
    stored = yaml.safe_load(
        cluster.kubectl("get", "-n", velero_namespace, "schedule", "conveyor-prod-daily", "-o", "yaml")
    )
    assert stored["spec"]["template"]["includedNamespaces"] == ["conveyor-prod"]
    assert stored["spec"]["template"]["ttl"] == "720h0m0s"


def test_the_on_demand_backup_is_admitted(cluster: ControlPlane, velero_namespace: str) -> None:
    out = cluster.kubectl(
        "create", "--dry-run=server", "--validate=strict", "-f", str(VELERO / "backup.yaml")
    )
    assert "backup.velero.io/conveyor-prod-before-change-" in out


def test_a_malformed_schedule_is_refused_naming_the_field(
    cluster: ControlPlane, velero_namespace: str, tmp_path: Path
) -> None:
    schedule = yaml.safe_load((VELERO / "schedule.yaml").read_text())
    schedule["metadata"]["name"] = "conveyor-typo"
    schedule["spec"]["template"]["includedNamespace"] = ["conveyor-prod"]  # the field is includedNamespaces
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(schedule))
    with pytest.raises(
        controlplane.ControlPlaneError,
        match=r"\.spec\.template\.includedNamespace: field not declared in schema",
    ):
        cluster.kubectl("apply", "--server-side", "--dry-run=server", "--validate=strict", "-f", str(path))

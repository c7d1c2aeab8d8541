"""`make drift` (scripts/gitops/drift.py) against a real API server: clean after git's objects
are applied, drift reported (exit 1, the object named) after a live change, clean again after
re-applying git."""

from __future__ import annotations

import subprocess
import sys

from tests.gitops.support import ControlPlane, ensure_namespace, run
from tests.support import REPO

DRIFT = REPO / "scripts" / "gitops" / "drift.py"


def drift(plane: ControlPlane) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(DRIFT), "--kubeconfig", str(plane.kubeconfig), "dev"],
        capture_output=True,
        text=True,
        timeout=180,
    )


def apply_dev(plane: ControlPlane) -> None:
    rendered = run("kubectl", "kustomize", str(REPO / "deploy/kustomize/overlays/dev")).stdout
    plane.kubectl(
        "apply",
        "--server-side",
        "--field-manager=conveyor-gitops",
        "--force-conflicts",
        "-f",
        "-",
        stdin=rendered,
    )


def test_drift_is_reported_after_a_live_change_and_cleared_by_reapplying(cluster: ControlPlane) -> None:
    ensure_namespace(cluster, "conveyor-dev")
    apply_dev(cluster)
    clean = drift(cluster)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.strip() == "dev: no drift"

    cluster.kubectl("scale", "deployment", "-n", "conveyor-dev", "conveyor-api", "--replicas=3")
    cluster.kubectl("patch", "configmap", "-n", "conveyor-dev", "conveyor-settings", "--type=merge",
                    "-p", '{"data": {"CONVEYOR_LOG_LEVEL": "debug"}}')  # fmt: skip
    drifted = drift(cluster)
    assert drifted.returncode == 1, drifted.stderr
    assert "dev: DRIFT" in drifted.stdout
    assert "apps.v1.Deployment.conveyor-dev.conveyor-api" in drifted.stdout
    assert "-  replicas: 3" in drifted.stdout and "+  replicas: 1" in drifted.stdout
    assert "v1.ConfigMap.conveyor-dev.conveyor-settings" in drifted.stdout

    apply_dev(cluster)
    assert drift(cluster).returncode == 0

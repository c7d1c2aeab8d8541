"""The Kustomize tree: its base and components are the chart's own rendering (not a second copy),
and each overlay keeps the environment rules of OPERATIONS.md, with a quota that fits it."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from tests.k8s.support import OVERLAYS, kustomize, of_kind
from tests.support import REPO


def test_base_and_components_are_the_charts_current_rendering() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "k8s" / "kustomize_base.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def _replicas(objects: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """Deployment -> (fewest, most) replicas, counting the autoscaler that owns it."""
    counts = {
        d["metadata"]["name"]: (d["spec"].get("replicas"), d["spec"].get("replicas"))
        for d in of_kind(objects, "Deployment")
    }
    for hpa in of_kind(objects, "HorizontalPodAutoscaler"):
        counts[hpa["spec"]["scaleTargetRef"]["name"]] = (
            hpa["spec"]["minReplicas"],
            hpa["spec"]["maxReplicas"],
        )
    for scaled in of_kind(objects, "ScaledObject"):
        counts[scaled["spec"]["scaleTargetRef"]["name"]] = (
            scaled["spec"]["minReplicaCount"],
            scaled["spec"]["maxReplicaCount"],
        )
    return counts


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_namespace_is_restricted_and_policed(overlay: str) -> None:
    objects = kustomize(overlay)
    (ns,) = of_kind(objects, "Namespace")
    assert ns["metadata"]["name"] == f"conveyor-{overlay}"
    labels = ns["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["app.kubernetes.io/part-of"] == "conveyor"
    namespaced = [o for o in objects if o["kind"] != "Namespace"]
    assert {o["metadata"]["namespace"] for o in namespaced} == {f"conveyor-{overlay}"}


def test_environment_rules() -> None:
    dev, stage, prod = (_replicas(kustomize(o)) for o in OVERLAYS)
    assert set(dev.values()) == {(1, 1)}
    assert all(low >= 2 for low, _ in stage.values())
    assert prod["conveyor-api"][0] >= 3
    assert prod["conveyor-scheduler"] == (2, 2)
    assert prod["conveyor-worker"][1] > prod["conveyor-worker"][0]
    prod_objects = kustomize("prod")
    assert of_kind(prod_objects, "ScaledObject"), "prod workers scale on queue depth"
    budgets = {p["metadata"]["name"] for p in of_kind(prod_objects, "PodDisruptionBudget")}
    assert budgets == {"conveyor-api", "conveyor-web", "conveyor-worker", "conveyor-scheduler"}
    for deployment in of_kind(prod_objects, "Deployment"):
        spec = deployment["spec"]["template"]["spec"]
        assert "@sha256:" in spec["containers"][0]["image"]
        zone = next(
            c for c in spec["topologySpreadConstraints"] if c["topologyKey"] == "topology.kubernetes.io/zone"
        )
        assert zone["whenUnsatisfiable"] == "DoNotSchedule"


def _quantity(value: str | int | float) -> float:
    """CPU in cores or memory in bytes, from Kubernetes notation."""
    text = str(value)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_quota_fits_the_largest_rollout(overlay: str) -> None:
    """Every Deployment at its most replicas plus one surge pod, and the migration Job."""
    objects = kustomize(overlay)
    most = {name: high for name, (_, high) in _replicas(objects).items()}
    need: dict[str, float] = {"pods": 0.0}
    templates = [
        (most[d["metadata"]["name"]] + 1, d["spec"]["template"]["spec"])
        for d in of_kind(objects, "Deployment")
    ]
    templates += [(1, j["spec"]["template"]["spec"]) for j in of_kind(objects, "Job")]
    for count, spec in templates:
        need["pods"] += count
        for container in spec["containers"]:
            for kind in ("requests", "limits"):
                for resource, amount in container["resources"][kind].items():
                    key = f"{kind}.{resource}"
                    need[key] = need.get(key, 0.0) + count * _quantity(amount)
    (quota,) = of_kind(objects, "ResourceQuota")
    hard = {k: _quantity(v) for k, v in quota["spec"]["hard"].items()}
    for key, amount in need.items():
        assert hard[key] >= amount - 1e-9, f"{overlay}: quota {key} {hard[key]} < {amount}"
        # sized from what runs, not a blank cheque
        assert hard[key] <= amount * 1.25, f"{overlay}: quota {key} {hard[key]} far above {amount}"

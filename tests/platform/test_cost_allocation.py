"""Cost allocation: every object the chart renders — and every pod it runs — carries the labels a
cost tool aggregates on (team, cost center, component, part-of), in every environment's values
and in every Kustomize overlay (rendered by kubectl). The environment is the namespace (conveyor-<env>)."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
import yaml

from tests.support import REPO

HELM = REPO / ".cache" / "tools" / "bin" / "helm"
KUBECTL = REPO / ".cache" / "tools" / "bin" / "kubectl"
CLUSTER_SCOPED = {"Namespace"}
CHART = REPO / "deploy" / "helm" / "conveyor"
COST_LABELS = ("conveyor.io/team", "app.kubernetes.io/component", "app.kubernetes.io/part-of")
DIGEST = "sha256:" + "0" * 64


def helm_template(*args: str) -> list[dict[str, Any]]:
    assert HELM.exists(), f"{HELM} is missing: run `make tools`"
    done = subprocess.run(
        [str(HELM), "template", "conveyor", str(CHART), "--kube-version", "1.36.3", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def unlabelled(objects: list[dict[str, Any]], expected: dict[str, str]) -> list[str]:
    """Objects (and pod templates) missing a cost label or carrying another value."""
    missing = []
    for obj in objects:
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        spec = obj.get("spec") or {}
        templates = [("", obj["metadata"])]
        if "template" in spec:
            templates.append((" pod template", spec["template"]["metadata"]))
        if "jobTemplate" in spec:
            templates.append((" pod template", spec["jobTemplate"]["spec"]["template"]["metadata"]))
        for suffix, metadata in templates:
            labels = metadata.get("labels") or {}
            missing += [f"{where}{suffix}: {name}" for name in COST_LABELS if not labels.get(name)]
            missing += [
                f"{where}{suffix}: {name}={labels.get(name)!r}, not {value!r}"
                for name, value in expected.items()
                if labels.get(name) != value
            ]
    return missing


# Every optional part on, so that every template is rendered.
EVERYTHING = [
    "--set", f"image.digest={DIGEST}",
    "--set", "database.existingSecret=db",
    "--set", "api.autoscaling.enabled=true",
    "--set", "worker.autoscaling.enabled=true",
    "--set", "metrics.serviceMonitor.enabled=true",
    "--set", "metrics.podMonitor.enabled=true",
    "--set", "metrics.prometheusRule.enabled=true",
    "--set", "ingress.enabled=true", "--set", "ingress.apiHost=api.example.com",
    "--set", "ingress.webHost=console.example.com",
]  # fmt: skip


@pytest.mark.parametrize("values", ["values.yaml", "values-dev.yaml", "values-prod.yaml"])
def test_every_object_and_pod_of_each_environment_carries_the_cost_labels(values: str) -> None:
    objects = helm_template(
        "-f", str(CHART / values), *EVERYTHING, "--set", "costAllocation.costCenter=cc-4711"
    )
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "Job", "Service", "ConfigMap", "NetworkPolicy"} <= kinds
    expected = {"conveyor.io/team": "conveyor-maintainers", "conveyor.io/cost-center": "cc-4711"}
    assert unlabelled(objects, expected) == []


def test_a_team_of_ones_own_and_no_cost_center_by_default() -> None:
    objects = helm_template("--set", "database.existingSecret=db", "--set", "costAllocation.team=payments")
    assert unlabelled(objects, {"conveyor.io/team": "payments"}) == []
    assert not any("conveyor.io/cost-center" in (o["metadata"].get("labels") or {}) for o in objects)


def test_a_label_value_kubernetes_would_refuse_is_refused_by_the_schema() -> None:
    done = subprocess.run(
        [str(HELM), "template", "conveyor", str(CHART), "--set", "database.existingSecret=db",
         "--set", "costAllocation.team=Payments Team!"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "costAllocation" in done.stderr and "team" in done.stderr


@pytest.mark.parametrize("environment", ["dev", "stage", "prod"])
def test_every_kustomize_overlay_carries_them_in_its_environments_namespace(environment: str) -> None:
    assert KUBECTL.exists(), f"{KUBECTL} is missing: run `make tools`"
    done = subprocess.run(
        [str(KUBECTL), "kustomize", str(REPO / "deploy" / "kustomize" / "overlays" / environment)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    objects = [doc for doc in yaml.safe_load_all(done.stdout) if doc]
    namespaced = [o for o in objects if o["kind"] not in CLUSTER_SCOPED]
    assert {o["metadata"].get("namespace") for o in namespaced} == {f"conveyor-{environment}"}
    # The namespace names the environment for cost tools that read namespace labels.
    [namespace] = [o for o in objects if o["kind"] == "Namespace"]
    assert namespace["metadata"]["labels"]["conveyor.io/environment"] == environment
    assert namespace["metadata"]["labels"]["conveyor.io/team"] == "conveyor-maintainers"
    # Everything else but the quota objects (they bound spending, they do not spend).
    workloads = [o for o in objects if o["kind"] not in ("Namespace", "ResourceQuota", "LimitRange")]
    assert {"Deployment", "Job", "Service"} <= {o["kind"] for o in workloads}
    assert unlabelled(workloads, {"conveyor.io/team": "conveyor-maintainers"}) == []

"""Every rendering applied to the control plane (server-side dry-run, then a real server-side
apply into namespaces where Pod Security Admission `restricted` and the admission policies are
on), its Deployments Available on the kwok nodes; prod spread over the zones; a PDB refusing an
eviction; a Helm install, upgrade and rollback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.k8s.support import (
    CHART,
    REQUIRED,
    ControlPlane,
    chart_rendering,
    controlplane,
    dump,
    helm_template,
    kustomize,
    namespace,
    of_kind,
    run,
    source_groups,
    wait_for,
)

ZONES = {"zone-a", "zone-b", "zone-c"}


def _apply(plane: ControlPlane, objects: list[dict[str, Any]], ns: str | None = None) -> None:
    """Server-side dry-run first (every refusal is reported), then the real server-side apply."""
    scope = ["-n", ns] if ns else []
    for extra in (["--dry-run=server"], []):
        plane.kubectl(
            "apply",
            "--server-side",
            "--field-manager=conveyor-tests",
            *scope,
            *extra,
            "-f",
            "-",
            stdin=dump(objects),
        )


def _available(plane: ControlPlane, ns: str) -> dict[str, dict[str, Any]]:
    plane.kubectl("wait", "--for=condition=Available", "deployment", "--all", "-n", ns, "--timeout=120s")
    deployments = json.loads(plane.kubectl("get", "deployments", "-n", ns, "-o", "json"))["items"]
    return {d["metadata"]["name"]: d for d in deployments}


def _without_test_hooks(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`helm test` Pods run on demand, not as part of the release."""
    return [o for o in objects if o["metadata"].get("annotations", {}).get("helm.sh/hook") != "test"]


CHART_RENDERINGS = {
    "chart-defaults": (None, "dev"),
    "chart-dev": ("values-dev.yaml", "dev"),
    "chart-prod": ("values-prod.yaml", "prod"),
}


@pytest.mark.parametrize("name", sorted(CHART_RENDERINGS))
def test_chart_rendering_is_admitted_and_becomes_available(cluster: ControlPlane, name: str) -> None:
    values_file, environment = CHART_RENDERINGS[name]
    namespace(cluster, name, environment)
    objects = _without_test_hooks(chart_rendering(values_file, namespace=name))
    _apply(cluster, objects, name)
    deployments = _available(cluster, name)
    assert set(deployments) == {"conveyor-api", "conveyor-web", "conveyor-worker", "conveyor-scheduler"}


def test_pgbouncer_option_is_admitted_and_becomes_available(cluster: ControlPlane) -> None:
    """pgbouncer.enabled: the pooler's Deployment passes Pod Security `restricted` and every
    admission policy beside the processes, and all five become Available."""
    ns = "chart-pgbouncer"
    namespace(cluster, ns, "stage")
    objects = _without_test_hooks(helm_template(*REQUIRED, "--set", "pgbouncer.enabled=true", namespace=ns))
    _apply(cluster, objects, ns)
    assert set(_available(cluster, ns)) == {
        "conveyor-api",
        "conveyor-web",
        "conveyor-worker",
        "conveyor-scheduler",
        "conveyor-pgbouncer",
    }


# Every optional part at once: the Gateway API routes, both monitors, the PrometheusRule (with a
# ruleSelector label), the Ingress, KEDA, Redis and single sign-on (so the API's HTTPS egress too).
EVERY_OPTION = [
    "--set-json",
    'metrics.prometheusRule={"enabled": true, "labels": {"release": "kube-prometheus-stack"}}',
    "--set-json",
    "httpRoute="
    + json.dumps(
        {
            "enabled": True,
            "parentRefs": [{"name": "edge", "namespace": "gateways"}],
            "apiHostname": "api.example.com",
            "webHostname": "console.example.com",
        }
    ),
    "--set",
    "metrics.serviceMonitor.enabled=true,metrics.podMonitor.enabled=true,ingress.enabled=true,"
    "ingress.apiHost=api.example.com,ingress.webHost=console.example.com,ingress.tlsSecretName=tls,"
    "worker.autoscaling.enabled=true,worker.autoscaling.mode=keda,"
    "worker.autoscaling.keda.prometheusServerAddress=http://prometheus.monitoring:9090,"
    "api.autoscaling.enabled=true,redis.existingSecret=conveyor-redis,oidc.issuer=https://id.example.com,"
    "oidc.clientId=conveyor,oidc.existingSecret=conveyor-oidc",
]


def test_every_optional_part_is_admitted(cluster: ControlPlane) -> None:
    ns = "chart-options"
    namespace(cluster, ns, "stage")
    objects = _without_test_hooks(helm_template(*REQUIRED, *EVERY_OPTION, namespace=ns))
    kinds = {o["kind"] for o in objects}
    assert {
        "HTTPRoute",
        "ServiceMonitor",
        "PodMonitor",
        "PrometheusRule",
        "Ingress",
        "ScaledObject",
        "HorizontalPodAutoscaler",
    } <= kinds
    _apply(cluster, objects, ns)
    assert len(_available(cluster, ns)) == 4
    # What the API server stored after the CRD's validation and pruning: the rule files' groups.
    stored = json.loads(cluster.kubectl("get", "prometheusrule", "conveyor", "-n", ns, "-o", "json"))
    assert stored["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert stored["spec"]["groups"] == source_groups()
    # The job relabelings (test_monitoring.py) survive the CRDs' schemas as rendered.
    for rendered in of_kind(objects, "ServiceMonitor") + of_kind(objects, "PodMonitor"):
        kind = rendered["kind"].lower()
        stored = json.loads(cluster.kubectl("get", kind, "conveyor", "-n", ns, "-o", "json"))
        assert _relabelings(stored) == _relabelings(rendered)


def _relabelings(monitor: dict[str, Any]) -> list[list[dict[str, Any]]]:
    endpoints = monitor["spec"].get("endpoints") or monitor["spec"]["podMetricsEndpoints"]
    return [endpoint["relabelings"] for endpoint in endpoints]


@pytest.mark.parametrize("overlay", ["dev", "stage", "prod"])
def test_overlay_is_admitted_and_becomes_available(cluster: ControlPlane, overlay: str) -> None:
    objects = kustomize(overlay)
    # The Namespace first: a dry-run cannot place objects in a namespace that does not exist.
    _apply(cluster, of_kind(objects, "Namespace"))
    _apply(cluster, [o for o in objects if o["kind"] != "Namespace"])
    deployments = _available(cluster, f"conveyor-{overlay}")
    assert len(deployments) == 4


def _pods(plane: ControlPlane, ns: str, component: str) -> list[dict[str, Any]]:
    selector = f"app.kubernetes.io/component={component}"
    pods: list[dict[str, Any]] = json.loads(
        plane.kubectl("get", "pods", "-n", ns, "-l", selector, "-o", "json")
    )["items"]
    return [p for p in pods if "deletionTimestamp" not in p["metadata"]]


def _zones(plane: ControlPlane) -> dict[str, str]:
    nodes = json.loads(plane.kubectl("get", "nodes", "-o", "json"))["items"]
    return {n["metadata"]["name"]: n["metadata"]["labels"]["topology.kubernetes.io/zone"] for n in nodes}


def _ready_replicas(plane: ControlPlane, ns: str, name: str) -> int:
    deployment = json.loads(plane.kubectl("get", "deployment", name, "-n", ns, "-o", "json"))
    return int(deployment["status"].get("readyReplicas", 0))


@pytest.fixture(scope="module")
def prod(cluster: ControlPlane) -> str:
    """The prod overlay applied, its API scaled by its HPA to three ready replicas."""
    ns = "conveyor-prod"
    objects = kustomize("prod")
    _apply(cluster, of_kind(objects, "Namespace"))
    _apply(cluster, [o for o in objects if o["kind"] != "Namespace"])
    wait_for(
        "three ready API replicas in prod",
        lambda: _ready_replicas(cluster, ns, "conveyor-api") >= 3,
        timeout=90,
    )
    return ns


def test_prod_replicas_spread_over_the_three_zones(cluster: ControlPlane, prod: str) -> None:
    zones = _zones(cluster)
    api = {zones[p["spec"]["nodeName"]] for p in _pods(cluster, prod, "api")}
    assert api == ZONES
    wait_for("two ready schedulers", lambda: _ready_replicas(cluster, prod, "conveyor-scheduler") == 2)
    schedulers = [zones[p["spec"]["nodeName"]] for p in _pods(cluster, prod, "scheduler")]
    assert len(set(schedulers)) == 2


@pytest.fixture
def cordoned(cluster: ControlPlane) -> Iterator[None]:
    """No node takes new pods, so an evicted pod stays missing while the test looks."""
    nodes = list(_zones(cluster))
    for node in nodes:
        cluster.kubectl("cordon", node)
    try:
        yield
    finally:
        for node in nodes:
            cluster.kubectl("uncordon", node)


def _evict(plane: ControlPlane, ns: str, pod: str) -> str:
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": pod, "namespace": ns}}
    try:
        plane.kubectl(
            "create",
            "--raw",
            f"/api/v1/namespaces/{ns}/pods/{pod}/eviction",
            "-f",
            "-",
            stdin=json.dumps(eviction),
        )
    except controlplane.ControlPlaneError as refused:
        return str(refused)
    return ""


def test_an_eviction_beyond_the_budget_is_refused(cluster: ControlPlane, prod: str, cordoned: None) -> None:
    def budget_current() -> bool:
        pdb = json.loads(cluster.kubectl("get", "pdb", "conveyor-api", "-n", prod, "-o", "json"))
        status: dict[str, int] = pdb["status"]
        return status.get("currentHealthy") == 3 and status.get("disruptionsAllowed") == 1

    wait_for("the API's disruption budget to count three healthy pods", budget_current)
    first, second = (p["metadata"]["name"] for p in _pods(cluster, prod, "api")[:2])
    assert _evict(cluster, prod, first) == ""
    refusal = _evict(cluster, prod, second)
    assert "Cannot evict pod as it would violate the pod's disruption budget" in refusal, refusal


@pytest.fixture
def helm_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cluster: ControlPlane) -> None:
    for name in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig))


def _images(plane: ControlPlane, ns: str) -> set[str]:
    pods = json.loads(plane.kubectl("get", "pods", "-n", ns, "-o", "json"))["items"]
    return {
        c["image"] for p in pods if "deletionTimestamp" not in p["metadata"] for c in p["spec"]["containers"]
    }


def test_helm_install_test_upgrade_and_rollback(cluster: ControlPlane, helm_env: None) -> None:
    ns = "helm-release"
    namespace(cluster, ns)
    values = ["-n", ns, "-f", str(CHART / "values-dev.yaml"), "--wait", "--timeout", "3m"]
    run("helm", "install", "conveyor", str(CHART), *values)
    assert _available(cluster, ns)
    assert _images(cluster, ns) == {"ghcr.io/conveyor/conveyor:0.1.0"}
    # The test hook's Pod is admitted (restricted, policies) and run; kwok reports it passed.
    assert "Phase:          Succeeded" in run("helm", "test", "conveyor", "-n", ns, "--timeout", "2m").stdout

    run("helm", "upgrade", "conveyor", str(CHART), *values, "--set", "image.tag=0.2.0")
    _available(cluster, ns)
    wait_for(
        "every pod on the new image", lambda: _images(cluster, ns) == {"ghcr.io/conveyor/conveyor:0.2.0"}
    )

    run("helm", "rollback", "conveyor", "1", "-n", ns, "--wait", "--timeout", "3m")
    _available(cluster, ns)
    wait_for(
        "every pod back on the old image", lambda: _images(cluster, ns) == {"ghcr.io/conveyor/conveyor:0.1.0"}
    )
    history = json.loads(run("helm", "history", "conveyor", "-n", ns, "-o", "json").stdout)
    assert [h["revision"] for h in history] == [1, 2, 3]
    assert history[-1]["description"].startswith("Rollback to 1")

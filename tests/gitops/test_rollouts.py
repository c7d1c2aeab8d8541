"""Progressive delivery end to end: the chart with rollouts.enabled (the API a canary Rollout,
the console blue-green) applied to the local control plane (kwok runs the pods), Argo Rollouts'
controller built from its Go module watching it, and the analysis querying a real Prometheus
that evaluates the committed SLO recording rules over a real Conveyor API.

1. Healthy: traffic succeeds; the analysis measures numbers under the thresholds; the canary
   reaches 100 % and the console's preview is promoted.
2. Failing: the API's database is stopped, so its requests fail (503) and the error ratio
   crosses the page threshold; a new release aborts and both return to the stable version.

Test profile: 3 s scrape/evaluation (a scrape runs the API's readiness check, up to 2 s while
its database is down), a canary of one 50 % step and an 8 s pause, analyses of
three 2 s measurements with no failure tolerated. The rules and the availability threshold are
the chart's (the latency threshold is lifted: this machine is shared).
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import pytest
from scripts.observability.stack import Server, start_prometheus

from tests.gitops.support import TOOLS_BIN, ControlPlane, apply, ensure_namespace
from tests.k8s.support import REQUIRED, helm_template
from tests.support import Process, admin_key, free_port, process_env, wait_until

pytestmark = pytest.mark.timeout(600)

NAMESPACE = "rollouts"
KINDS = {"ServiceAccount", "ConfigMap", "Service", "Rollout", "AnalysisTemplate"}
AVAILABILITY = (  # the analysis' query (templates/rollouts.yaml)
    'slo:sli_error:ratio_rate5m{sloth_id="conveyor-api-availability"}'
    ' or on() (0 * slo:sli_error:ratio_rate5m{sloth_id="conveyor-api-latency"})'
)
MAX_AVAILABILITY_ERRORS = 0.0144  # the chart's default: 14.4 times the 0.1 % error budget


@dataclass
class Stack:
    database: Any  # pgserver's PostgresServer
    api: Process
    prometheus: Server
    client: httpx.Client

    def query(self, expr: str) -> list[float]:
        body = httpx.get(f"{self.prometheus.url}/api/v1/query", params={"query": expr}, timeout=10).json()
        return [float(sample["value"][1]) for sample in body["data"]["result"]]


class Traffic:
    """The API's own list endpoint (it reads the database) requested by four clients, each every
    100 ms (under the per-key rate limit), until stopped. With the database stopped a request
    waits a second for a connection, hence several clients."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(4)]

    def run(self) -> None:
        while not self.stop.wait(0.1):
            with contextlib.suppress(httpx.HTTPError):
                self.client.get("/jobs", params={"limit": 1})


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A Conveyor API on its own PostgreSQL (so the test may stop it), scraped every second by
    Prometheus running the committed rules, with traffic flowing."""
    import pgserver.postgres_server

    from conveyor.store import migrate

    prometheus_binary = shutil.which("prometheus")
    if prometheus_binary is None:
        pytest.fail("prometheus is not installed: run `make observability-tools`", pytrace=False)
    directory = tmp_path_factory.mktemp("rollouts-stack")
    database = pgserver.postgres_server.get_server(directory / "pg", cleanup_mode="stop")
    started: list[Process | Server] = []
    try:
        url = database.get_uri()
        migrate.upgrade(url)
        key = admin_key(url)
        port = free_port()
        api = Process(
            ["api", "--port", str(port)],
            process_env(url, CONVEYOR_DATABASE_TIMEOUT="1"),
            directory / "api.log",
            port,
        ).start()
        started.append(api)
        api.wait_ready(timeout=90)
        prometheus = start_prometheus(
            prometheus_binary,
            directory / "prometheus",
            "http://127.0.0.1:9",  # no Alertmanager: the analysis reads recording rules only
            free_port(),
            targets={"conveyor-api": [f"127.0.0.1:{port}"]},
            interval="3s",  # a scrape runs the readiness check (≤ 2 s with the database down)
        )
        started.append(prometheus)
        client = httpx.Client(
            base_url=f"{api.base_url}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=5
        )
        traffic = Traffic(client)
        for thread in traffic.threads:
            thread.start()
        try:
            yield Stack(database, api, prometheus, client)
        finally:
            traffic.stop.set()
            for thread in traffic.threads:
                thread.join(10)
    finally:
        for item in reversed(started):
            item.stop()
        with contextlib.suppress(Exception):  # the failing case has stopped it already
            database.cleanup()


@pytest.fixture(scope="module")
def controller(
    cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[subprocess.Popen[bytes]]:
    """Argo Rollouts' controller (tools/rollouts) against the local control plane."""
    binary = TOOLS_BIN / "rollouts-controller"
    if not binary.exists():
        pytest.fail(f"{binary} is missing — run `make tools`", pytrace=False)
    ensure_namespace(cluster, "argo-rollouts")
    log = tmp_path_factory.mktemp("rollouts-controller") / "controller.log"
    healthz = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                str(binary),
                "--kubeconfig",
                str(cluster.kubeconfig),
                "--namespace",
                "argo-rollouts",
                "--leader-elect=false",
                f"--healthzPort={healthz}",
                f"--metricsPort={free_port()}",
                "--loglevel=info",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"rollouts-controller exited:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"http://127.0.0.1:{healthz}/healthz", timeout=1).status_code == 200
        return False

    try:
        wait_until(healthy, timeout=90, interval=0.2, what="rollouts-controller /healthz")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def release(cluster: ControlPlane, stack: Stack, tag: str, *, first: bool = False) -> None:
    """The chart with rollouts on, at image tag ``tag``, applied as Argo CD would. After the
    first release only the Rollouts change: the Services' selectors then belong to the rollouts
    controller (it pins them to a pod template hash)."""
    objects = helm_template(
        *REQUIRED,
        "--set",
        "rollouts.enabled=true",
        "--set",
        f"rollouts.prometheusAddress={stack.prometheus.url}",
        "--set-json",
        'rollouts.api.steps=[{"setWeight": 50}, {"pause": {"duration": "8s"}}]',
        "--set",
        "rollouts.web.scaleDownDelaySeconds=0",
        "--set",
        "rollouts.analysis.interval=2s",
        "--set",
        "rollouts.analysis.count=3",
        "--set",
        "rollouts.analysis.failureLimit=0",
        # Latency is not what this test judges, and this machine is shared: a loaded moment must
        # not fail the healthy case. Availability keeps the chart's threshold.
        "--set",
        "rollouts.analysis.maxLatencyErrorRatio=1",
        "--set",
        f"image.tag={tag}",
        namespace=NAMESPACE,
    )
    kinds = KINDS if first else {"Rollout", "AnalysisTemplate"}
    kept = [
        o
        for o in objects
        if o["kind"] in kinds and "helm.sh/hook" not in o["metadata"].get("annotations", {})
    ]
    apply(cluster, [{**o, "metadata": {**o["metadata"], "namespace": NAMESPACE}} for o in kept])


def rollout(cluster: ControlPlane, name: str) -> dict[str, Any]:
    return dict(json.loads(cluster.kubectl("get", "rollout", "-n", NAMESPACE, name, "-o", "json")))


def image_of_stable(cluster: ControlPlane, name: str) -> str:
    """The image of the ReplicaSet the Rollout calls stable."""
    stable = rollout(cluster, name)["status"]["stableRS"]
    replicasets = json.loads(
        cluster.kubectl(
            "get", "replicaset", "-n", NAMESPACE, "-l", f"rollouts-pod-template-hash={stable}", "-o", "json"
        )
    )["items"]
    assert len(replicasets) == 1
    return str(replicasets[0]["spec"]["template"]["spec"]["containers"][0]["image"])


def aborted(cluster: ControlPlane, name: str) -> bool:
    return rollout(cluster, name)["status"].get("abort") is True


def settled(cluster: ControlPlane, name: str, tag: str) -> bool:
    status = rollout(cluster, name).get("status", {})
    return (
        status.get("phase") == "Healthy"
        and status.get("stableRS") == status.get("currentPodHash")
        and image_of_stable(cluster, name).endswith(f":{tag}")
    )


def analysis_runs(cluster: ControlPlane, tag: str) -> list[dict[str, Any]]:
    """The AnalysisRuns of the release at ``tag`` (named after the new pod template hash)."""
    runs = json.loads(cluster.kubectl("get", "analysisrun", "-n", NAMESPACE, "-o", "json"))["items"]
    hashes = {
        rs["metadata"]["labels"]["rollouts-pod-template-hash"]
        for rs in json.loads(cluster.kubectl("get", "replicaset", "-n", NAMESPACE, "-o", "json"))["items"]
        if rs["spec"]["template"]["spec"]["containers"][0]["image"].endswith(f":{tag}")
    }
    return [r for r in runs if r["metadata"]["labels"].get("rollouts-pod-template-hash") in hashes]


def measured(run: dict[str, Any], name: str = "api-availability") -> list[float]:
    """The values one metric of an AnalysisRun measured (Prometheus vectors, as "[v, ...]")."""
    values = []
    for metric in run.get("status", {}).get("metricResults", []):
        if metric["name"] != name:
            continue
        for measurement in metric.get("measurements", []):
            values += [float(v) for v in measurement.get("value", "[]").strip("[]").split(",") if v.strip()]
    return values


@pytest.fixture(scope="module")
def stable(cluster: ControlPlane, controller: subprocess.Popen[bytes], stack: Stack) -> None:
    """The first release: no analysis for a first rollout, it goes straight to stable."""
    ensure_namespace(cluster, NAMESPACE)
    release(cluster, stack, "0.1.0", first=True)
    for name in ("conveyor-api", "conveyor-web"):
        wait_until(partial(settled, cluster, name, "0.1.0"), timeout=120, interval=0.5, what=f"{name} stable")


def test_a_canary_with_healthy_analysis_reaches_100_percent(
    cluster: ControlPlane, stack: Stack, stable: None
) -> None:
    wait_until(
        lambda: stack.query(AVAILABILITY),
        timeout=60,
        interval=0.5,
        what="the SLO recording rule to have a value",
    )
    release(cluster, stack, "0.2.0")
    for name in ("conveyor-api", "conveyor-web"):
        wait_until(
            partial(settled, cluster, name, "0.2.0"), timeout=180, interval=0.5, what=f"{name} promoted"
        )
    api = rollout(cluster, "conveyor-api")
    assert api["status"]["currentStepIndex"] == len(api["spec"]["strategy"]["canary"]["steps"])
    assert not api["status"].get("abort")
    # The console's active Service now selects the new pods.
    web = rollout(cluster, "conveyor-web")
    active = json.loads(cluster.kubectl("get", "service", "-n", NAMESPACE, "conveyor-web", "-o", "json"))
    assert active["spec"]["selector"]["rollouts-pod-template-hash"] == web["status"]["stableRS"]
    runs = analysis_runs(cluster, "0.2.0")
    assert {r["status"]["phase"] for r in runs} == {"Successful"}, [r["status"] for r in runs]
    values = [v for run in runs for v in measured(run)]
    assert values and all(not math.isnan(v) and v <= MAX_AVAILABILITY_ERRORS for v in values), values


def test_a_canary_with_failing_analysis_aborts_back_to_stable(
    cluster: ControlPlane, stack: Stack, stable: None
) -> None:
    before = {name: rollout(cluster, name)["status"]["stableRS"] for name in ("conveyor-api", "conveyor-web")}
    stack.database.cleanup()  # the API's database stops: its requests fail with 503
    wait_until(
        lambda: any(v > MAX_AVAILABILITY_ERRORS for v in stack.query(AVAILABILITY)),
        timeout=120,
        interval=0.5,
        what="the availability error ratio to cross the page threshold",
    )
    release(cluster, stack, "0.3.0")
    for name in ("conveyor-api", "conveyor-web"):
        wait_until(
            partial(aborted, cluster, name),
            timeout=180,
            interval=0.5,
            what=f"{name} to abort",
        )
    for name in ("conveyor-api", "conveyor-web"):
        status = rollout(cluster, name)["status"]
        assert status["phase"] == "Degraded"
        assert status["stableRS"] == before[name]
        assert not image_of_stable(cluster, name).endswith(":0.3.0")
    # Back to the stable version: the API's canary pods are scaled away at once; the console's
    # traffic never left the stable pods (its preview is scaled down after the abort delay).
    wait_until(
        lambda: new_pods(cluster, "conveyor-api", "0.3.0") == 0,
        timeout=120,
        interval=0.5,
        what="canary pods to go",
    )
    active = json.loads(cluster.kubectl("get", "service", "-n", NAMESPACE, "conveyor-web", "-o", "json"))
    assert active["spec"]["selector"]["rollouts-pod-template-hash"] == before["conveyor-web"]
    runs = analysis_runs(cluster, "0.3.0")
    assert "Failed" in {r["status"]["phase"] for r in runs}, [r.get("status") for r in runs]
    assert any(v > MAX_AVAILABILITY_ERRORS for run in runs for v in measured(run))


def new_pods(cluster: ControlPlane, name: str, tag: str) -> int:
    replicasets = json.loads(cluster.kubectl("get", "replicaset", "-n", NAMESPACE, "-o", "json"))["items"]
    return sum(
        rs["status"].get("replicas", 0)
        for rs in replicasets
        if rs["metadata"]["name"].startswith(f"{name}-")
        and rs["spec"]["template"]["spec"]["containers"][0]["image"].endswith(f":{tag}")
    )

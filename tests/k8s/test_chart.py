"""The chart as Helm reads it: lint, renderings, what the values schema refuses, the generated
README table, and what the renderings promise about pods (no cluster needed here)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from tests.k8s.support import CHART, REQUIRED, VALUES_FILES, chart_rendering, helm_template, of_kind, run
from tests.support import REPO

PROCESSES = ("api", "web", "worker", "scheduler")
POOLED = ("--set", "pgbouncer.enabled=true")


@pytest.mark.parametrize("values_file", [None, *VALUES_FILES])
def test_helm_lint_strict(values_file: str | None) -> None:
    args = ["-f", str(CHART / values_file)] if values_file else list(REQUIRED)
    result = run("helm", "lint", "--strict", str(CHART), *args, "--kube-version", "1.36.3")
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--set", "api.replicas=-1"], "/api/replicas"),
        (["--set", "api.replics=2"], "replics"),
        (["--set", "worker.resources=lots"], "/worker/resources"),
        (["--set", "environment=prod"], "/image/digest"),
        (["--set", "database.existingSecret="], "/database/existingSecret"),
        (["--set", "image.tag=latest"], "/image/tag"),
        (
            ["--set", "worker.autoscaling.enabled=true,worker.autoscaling.mode=keda"],
            "prometheusServerAddress",
        ),
        (["--set", "metrics.prometheusRule.enable=true"], "'enable' not allowed"),
        (["--set", "metrics.prometheusRule.labels.team=on call"], "/metrics/prometheusRule/labels/team"),
        (["--set", "settings.trustedProxies=everyone"], "/settings/trustedProxies"),
        (["--set", "environment=prod,image.digest=sha256:" + "0" * 64, *POOLED], "/pgbouncer/image/digest"),
        (["--set", "pgbouncer.image.tag=latest"], "/pgbouncer/image/tag"),
    ],
    ids=[
        "negative-replicas",
        "unknown-key",
        "resources-as-text",
        "prod-without-digest",
        "no-database-secret",
        "latest-tag",
        "keda-without-prometheus",
        "rule-toggle-misspelt",
        "rule-label-not-a-label-value",
        "trusted-proxies-not-addresses",
        "prod-pgbouncer-without-digest",
        "pgbouncer-latest-tag",
    ],
)
def test_bad_values_fail_naming_the_key(args: list[str], named: str) -> None:
    base = [] if "database.existingSecret=" in args[1] else list(REQUIRED)
    result = run("helm", "template", "conveyor", str(CHART), *base, *args, check=False)
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr
    assert named in result.stderr, result.stderr


def test_default_values_alone_name_the_missing_database_secret() -> None:
    result = run("helm", "template", "conveyor", str(CHART), check=False)
    assert result.returncode != 0
    assert "/database/existingSecret" in result.stderr


def test_readme_values_table_is_current() -> None:
    result = run_python("scripts/k8s/chart_readme.py", "--check")
    assert result.returncode == 0, result.stderr


def run_python(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / script), *args], capture_output=True, text=True, cwd=REPO
    )


def _pod_specs(objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    specs = [(o["metadata"]["name"], o["spec"]["template"]["spec"]) for o in of_kind(objects, "Deployment")]
    specs += [(o["metadata"]["name"], o["spec"]["template"]["spec"]) for o in of_kind(objects, "Job")]
    specs += [(o["metadata"]["name"], o["spec"]) for o in of_kind(objects, "Pod")]
    return specs


@pytest.mark.parametrize("values_file", [None, *VALUES_FILES])
def test_every_pod_is_restricted_with_requests_and_limits(values_file: str | None) -> None:
    objects = chart_rendering(values_file)
    specs = _pod_specs(objects)
    assert len(specs) == 6  # four Deployments, the migrate Job, the helm test Pod
    for name, spec in specs:
        assert spec["automountServiceAccountToken"] is False, name
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] == 10001, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert set(container["resources"]) == {"requests", "limits"}, name


def test_processes_probe_livez_and_readyz_and_pick_their_command() -> None:
    deployments = {
        d["metadata"]["name"]: d for d in of_kind(chart_rendering("values-dev.yaml"), "Deployment")
    }
    assert set(deployments) == {f"conveyor-{p}" for p in PROCESSES}
    for process in PROCESSES:
        container = deployments[f"conveyor-{process}"]["spec"]["template"]["spec"]["containers"][0]
        assert container["args"][0] == process
        assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_worker_grace_covers_its_shutdown_grace() -> None:
    objects = helm_template(*REQUIRED, "--set", "worker.shutdownGraceSeconds=90")
    worker = next(d for d in of_kind(objects, "Deployment") if d["metadata"]["name"] == "conveyor-worker")
    settings = next(c for c in of_kind(objects, "ConfigMap"))
    assert settings["data"]["CONVEYOR_WORKER_SHUTDOWN_GRACE"] == "90"
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 100


def test_api_believes_the_consoles_forwarded_address() -> None:
    # Failed sign-ins are limited per client address: without trusting the pod network, every
    # console user would share the console pod's address and one failure budget.
    from conveyor.settings import Settings

    settings = next(c for c in of_kind(helm_template(*REQUIRED), "ConfigMap"))["data"]
    proxies = settings["CONVEYOR_TRUSTED_PROXIES"]
    assert Settings(trusted_proxies=proxies).trusted_proxy_list == [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "fc00::/7",
    ]


def test_migration_is_a_hook_before_install_and_upgrade() -> None:
    job = of_kind(chart_rendering("values-dev.yaml"), "Job")[0]
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]


def test_web_gets_no_database_credentials() -> None:
    deployments = {
        d["metadata"]["name"]: d for d in of_kind(chart_rendering("values-prod.yaml"), "Deployment")
    }
    web = deployments["conveyor-web"]["spec"]["template"]["spec"]["containers"][0]
    assert "env" not in web
    api_env = {
        e["name"] for e in deployments["conveyor-api"]["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert {"CONVEYOR_DATABASE_URL", "CONVEYOR_REDIS_URL"} <= api_env


def test_prod_pins_the_image_by_digest_and_scales_workers_on_queue_depth() -> None:
    objects = chart_rendering("values-prod.yaml")
    images = {c["image"] for _, spec in _pod_specs(objects) for c in spec["containers"]}
    assert len(images) == 1
    assert "@sha256:" in images.pop()
    scaled = of_kind(objects, "ScaledObject")[0]
    assert scaled["spec"]["scaleTargetRef"]["name"] == "conveyor-worker"
    assert scaled["spec"]["triggers"][0]["type"] == "prometheus"
    assert "conveyor_queue_depth" in scaled["spec"]["triggers"][0]["metadata"]["query"]


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def test_pgbouncer_pools_the_processes_in_transaction_mode() -> None:
    """pgbouncer.enabled: a restricted PgBouncer Deployment, Service and ConfigMap in
    transaction mode; api, worker and scheduler connect through it with no session state
    (as deploy/compose/compose.pgbouncer.yaml); the migration and PgBouncer use the direct URL."""
    objects = helm_template(*REQUIRED, *POOLED)
    deployments = {
        d["metadata"]["name"]: d["spec"]["template"]["spec"] for d in of_kind(objects, "Deployment")
    }
    configmaps = {c["metadata"]["name"]: c["data"] for c in of_kind(objects, "ConfigMap")}
    assert configmaps["conveyor-pgbouncer"]["POOL_MODE"] == "transaction"
    assert configmaps["conveyor-pgbouncer"]["SERVER_TLS_SSLMODE"] == "require"
    settings = configmaps["conveyor-settings"]
    assert settings["CONVEYOR_LISTEN_NOTIFY"] == "false"
    assert settings["CONVEYOR_DATABASE_PREPARED_STATEMENTS"] == "false"
    (service,) = (s for s in of_kind(objects, "Service") if s["metadata"]["name"] == "conveyor-pgbouncer")
    assert service["spec"]["ports"][0]["port"] == 6432

    pooler = deployments["conveyor-pgbouncer"]
    assert pooler["securityContext"]["runAsNonRoot"] is True
    assert pooler["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pooler["containers"]
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert set(container["resources"]) == {"requests", "limits"}
    assert {"livenessProbe", "readinessProbe"} <= set(container)
    assert _env(container)["DATABASE_URL"]["secretKeyRef"]["key"] == "url"

    for process in ("api", "worker", "scheduler"):
        url = _env(deployments[f"conveyor-{process}"]["containers"][0])["CONVEYOR_DATABASE_URL"]
        assert url["secretKeyRef"] == {"name": "conveyor-database", "key": "pooled-url"}, process
    (job,) = of_kind(objects, "Job")
    migrate = _env(job["spec"]["template"]["spec"]["containers"][0])["CONVEYOR_DATABASE_URL"]
    assert migrate["secretKeyRef"]["key"] == "url"


def test_without_pgbouncer_the_processes_keep_session_features() -> None:
    objects = helm_template(*REQUIRED)
    assert "conveyor-pgbouncer" not in {o["metadata"]["name"] for o in objects}
    settings = next(c for c in of_kind(objects, "ConfigMap"))["data"]
    assert "CONVEYOR_LISTEN_NOTIFY" not in settings
    assert "CONVEYOR_DATABASE_PREPARED_STATEMENTS" not in settings

"""deploy/compose/compose.yaml, as a real Compose implementation reads it (Debian's
docker-compose validates against the Compose schema offline): the services, their health
checks and start order, limits, hardening, and that no secret is written in the file."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import REPO

COMPOSE_DIR = REPO / "deploy" / "compose"
COMPOSE_FILE = COMPOSE_DIR / "compose.yaml"
CONVEYOR_SERVICES = {"migrate", "api", "worker", "scheduler", "web"}
LONG_RUNNING = {"api", "worker", "scheduler", "web"}
OBSERVABILITY = {"prometheus", "alertmanager", "otel-collector", "jaeger", "victorialogs"}  # its profile
DATABASE_USERS = LONG_RUNNING - {"web"}


def compose_config(env_file: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_PASSWORD")}
    return subprocess.run(
        ["docker-compose", "--project-directory", str(COMPOSE_DIR), "-f", str(COMPOSE_FILE),
         "--env-file", str(env_file), "config"],
        capture_output=True, text=True, env=env, cwd="/", timeout=60,
    )  # fmt: skip


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    result = compose_config(COMPOSE_DIR / ".env.example")
    assert result.returncode == 0, result.stderr
    parsed = yaml.safe_load(result.stdout)
    assert isinstance(parsed, dict)
    return parsed


def test_the_platform_services(config: dict[str, Any]) -> None:
    assert set(config["services"]) == {"postgres", "redis", *CONVEYOR_SERVICES, *OBSERVABILITY}
    assert {name for name, s in config["services"].items() if s.get("profiles")} == OBSERVABILITY
    images = {config["services"][s]["image"] for s in CONVEYOR_SERVICES}
    assert len(images) == 1, "one image runs every Conveyor process"
    commands = {s: config["services"][s]["command"] for s in CONVEYOR_SERVICES}
    assert commands == {s: [s] for s in CONVEYOR_SERVICES}


def test_health_checks_and_start_order(config: dict[str, Any]) -> None:
    services = config["services"]
    for name in ("postgres", "redis", *LONG_RUNNING):
        assert services[name]["healthcheck"]["test"], name
    migrate_check = services["migrate"]["healthcheck"]
    assert migrate_check.get("disable") is True or migrate_check.get("test") == ["NONE"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in DATABASE_USERS:
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["postgres"] == {"condition": "service_healthy"}, name
    assert services["api"]["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert services["web"]["depends_on"] == {"api": {"condition": "service_healthy"}}


def test_the_console_gets_no_database_or_redis_credentials(config: dict[str, Any]) -> None:
    env = config["services"]["web"]["environment"]
    assert env["CONVEYOR_API_URL"] == "http://api:8000"
    assert not {k for k in env if "DATABASE" in k or "REDIS" in k}, env


def test_resource_limits_everywhere(config: dict[str, Any]) -> None:
    for name, service in config["services"].items():
        limits = service["deploy"]["resources"]["limits"]
        assert limits.get("cpus") and limits.get("memory"), name


def test_conveyor_containers_are_hardened(config: dict[str, Any]) -> None:
    for name in CONVEYOR_SERVICES:
        service = config["services"][name]
        assert service["user"] == "10001:10001", name
        assert service["read_only"] is True, name
        assert any(t.startswith("/tmp") for t in service["tmpfs"]), name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert service["environment"]["CONVEYOR_ENV"] == "production", name


def test_worker_scales_and_outlives_its_shutdown_grace(config: dict[str, Any]) -> None:
    worker = config["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker, "--scale worker=N must work"
    grace = float(worker["environment"]["CONVEYOR_WORKER_SHUTDOWN_GRACE"])
    stop = worker["stop_grace_period"]
    assert stop.endswith("s") and float(stop[:-1]) > grace


def test_only_the_api_console_and_monitoring_are_published_and_only_on_loopback(
    config: dict[str, Any],
) -> None:
    published = ("api", "web", *OBSERVABILITY)
    for name, service in config["services"].items():
        if name not in published:
            assert "ports" not in service, name
    for name in published:
        (port,) = config["services"][name]["ports"]
        assert str(port).startswith("127.0.0.1:"), port


def test_the_observability_profile_runs_the_committed_rules_and_routing(config: dict[str, Any]) -> None:
    mounts = {  # docker-compose v1 prints volumes as "source:target:mode"
        name: {
            v.split(":")[1]: v.split(":")[0] for v in config["services"][name]["volumes"] if v.startswith("/")
        }
        for name in OBSERVABILITY
    }
    observability = REPO / "observability"
    assert mounts["prometheus"] == {
        "/etc/prometheus/prometheus.yml": str(observability / "prometheus" / "prometheus.yml"),
        "/etc/prometheus/rules": str(observability / "prometheus" / "rules"),
        "/etc/prometheus/targets": str(observability / "prometheus" / "targets-compose"),
    }
    assert mounts["alertmanager"]["/etc/alertmanager/alertmanager.yml"] == str(
        observability / "alertmanager" / "alertmanager.yml"
    )
    assert mounts["alertmanager"]["/etc/alertmanager/secrets"] == str(COMPOSE_DIR / "alertmanager-secrets")
    assert config["services"]["alertmanager"]["working_dir"] == "/etc/alertmanager"
    assert mounts["otel-collector"] == {
        "/etc/otelcol/config.yaml": str(observability / "otel-collector" / "config.yaml")
    }
    assert mounts["jaeger"] == {"/etc/jaeger/config.yaml": str(observability / "jaeger" / "config.yaml")}
    collector = config["services"]["otel-collector"]
    assert collector["command"] == ["--config=/etc/otelcol/config.yaml"]
    assert collector["environment"]["JAEGER_OTLP_GRPC_ENDPOINT"] == "jaeger:4317"
    assert collector["environment"]["VICTORIALOGS_URL"] == "http://victorialogs:9428"
    for name in OBSERVABILITY:
        service = config["services"][name]
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name
    targets = {
        p.stem: p.read_text() for p in (observability / "prometheus" / "targets-compose").glob("*.yaml")
    }
    assert set(targets) == {
        "alertmanager",
        "conveyor-api",
        "conveyor-web",
        "conveyor-worker",
        "conveyor-scheduler",
    }
    assert '"worker:9100"' in targets["conveyor-worker"] and '"alertmanager:9093"' in targets["alertmanager"]


def test_database_in_a_named_volume(config: dict[str, Any]) -> None:
    assert "pgdata" in config["volumes"]
    assert any(v.startswith("pgdata:") for v in config["services"]["postgres"]["volumes"])


def test_no_secret_in_the_file_and_a_missing_one_is_refused(tmp_path: Path) -> None:
    text = COMPOSE_FILE.read_text()
    for line in text.splitlines():
        match = re.match(r"\s*(\w*(PASSWORD|SECRET|TOKEN|API_KEY|AUTH)\w*):\s*(\S+)", line)
        if match:
            assert match.group(3).startswith("${"), f"literal secret? {line.strip()}"
    for credential in re.findall(r"://[^:/\s]*:([^@\s]+)@", text):
        assert credential.startswith("${"), f"literal password in a URL: {credential}"
    example = (COMPOSE_DIR / ".env.example").read_text()
    for value in re.findall(r"^\w*PASSWORD=(.+)$", example, re.M):
        assert value not in text
    assert ".env" in (COMPOSE_DIR / ".gitignore").read_text().split()

    empty = tmp_path / "empty.env"
    empty.write_text("")
    refused = compose_config(empty)
    assert refused.returncode != 0
    assert "POSTGRES_PASSWORD" in refused.stderr or "REDIS_PASSWORD" in refused.stderr


def test_the_pgbouncer_override_routes_the_processes_through_transaction_pooling() -> None:
    result = subprocess.run(
        ["docker-compose", "--project-directory", str(COMPOSE_DIR), "-f", str(COMPOSE_FILE),
         "-f", str(COMPOSE_DIR / "compose.pgbouncer.yaml"), "--env-file", str(COMPOSE_DIR / ".env.example"),
         "config"],
        capture_output=True, text=True, cwd="/", timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert services["pgbouncer"]["environment"]["POOL_MODE"] == "transaction"
    for name in DATABASE_USERS:
        env = services[name]["environment"]
        assert "@pgbouncer:6432/" in env["CONVEYOR_DATABASE_URL"], name
        assert (
            env["CONVEYOR_LISTEN_NOTIFY"] == "false"
            and env["CONVEYOR_DATABASE_PREPARED_STATEMENTS"] == "false"
        )
        assert services[name]["depends_on"]["pgbouncer"]["condition"] == "service_healthy"
    # Migrations keep a direct session to PostgreSQL.
    assert "@postgres:5432/" in services["migrate"]["environment"]["CONVEYOR_DATABASE_URL"]

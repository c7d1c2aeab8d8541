"""Alertmanager: the configuration checked by amtool, its routes tested by amtool, and its
inhibitions and notifications exercised by a real Alertmanager."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.observability.conftest import tool
from tests.observability.stack import ALERTMANAGER_DIR, Notifications, Server, receiver, start_alertmanager
from tests.support import wait_until

CONFIG = ALERTMANAGER_DIR / "alertmanager.yml"


def test_amtool_accepts_the_configuration() -> None:
    result = subprocess.run([tool("amtool"), "check-config", str(CONFIG)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 templates" in result.stdout and "3 inhibit rules" in result.stdout


@pytest.mark.parametrize(
    ("labels", "receiver_name"),
    [
        (["severity=page", "alertname=ConveyorWorkersDown", "component=worker"], "pager"),
        (["severity=page", "alertname=ConveyorApiAvailabilityBudgetBurn", "sloth_severity=page"], "pager"),
        (["severity=ticket", "alertname=ConveyorQueueBacklogGrowing", "queue=default"], "tickets"),
        (["severity=info", "alertname=ConveyorSomethingInformational"], "null"),
        (["severity=info", "alertname=ConveyorWatchdog", "component=monitoring"], "deadmansswitch"),
        (["alertname=SomethingWithoutSeverity"], "tickets"),
    ],
)
def test_amtool_routes_each_severity_and_the_watchdog(labels: list[str], receiver_name: str) -> None:
    result = subprocess.run(
        [tool("amtool"), "config", "routes", "test", f"--config.file={CONFIG}", *labels],
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == receiver_name, result.stderr


def test_no_secret_is_in_the_file() -> None:
    config = yaml.safe_load(CONFIG.read_text())
    for receiver_config in config["receivers"]:
        for kind, settings in receiver_config.items():
            if kind.endswith("_configs"):
                for item in settings:
                    assert not {"routing_key", "service_key", "api_url", "url"} & item.keys(), kind
                    assert any(key.endswith("_file") for key in item), f"{kind} reads no secret file"


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[tuple[Server, Notifications]]:
    with receiver() as (url, notifications):
        server = start_alertmanager(tmp_path, url)
        try:
            yield server, notifications
        finally:
            server.stop()


def post(server: Server, *alerts: dict[str, str]) -> None:
    body = [{"labels": labels, "annotations": {"summary": "s", "description": "d"}} for labels in alerts]
    httpx.post(f"{server.url}/api/v2/alerts", json=body, timeout=5).raise_for_status()


def states(server: Server) -> dict[tuple[str, str], dict[str, Any]]:
    alerts = httpx.get(f"{server.url}/api/v2/alerts", timeout=5).json()
    return {
        (a["labels"]["alertname"], a["labels"].get("job", a["labels"]["severity"])): a["status"]
        for a in alerts
    }


INHIBITIONS = [
    # (source, target, inhibited?)
    (
        {"alertname": "ConveyorJobFreshnessBudgetBurn", "severity": "page"},
        {"alertname": "ConveyorJobFreshnessBudgetBurn", "severity": "ticket"},
        True,
    ),
    (
        {"alertname": "ConveyorJobFreshnessBudgetBurn", "severity": "page"},
        {"alertname": "ConveyorApiLatencyBudgetBurn", "severity": "ticket"},
        False,
    ),
    (
        {"alertname": "ConveyorDatabaseUnavailable", "severity": "page"},
        {"alertname": "ConveyorSchedulerNoLeader", "severity": "page"},
        True,
    ),
    (
        {"alertname": "ConveyorDatabaseUnavailable", "severity": "page"},
        {"alertname": "ConveyorApiAvailabilityBudgetBurn", "severity": "page"},
        True,
    ),
    (
        {"alertname": "ConveyorDatabaseUnavailable", "severity": "page"},
        {"alertname": "ConveyorWorkersDown", "severity": "page"},
        False,
    ),
    (
        {"alertname": "ConveyorWorkersDown", "severity": "page", "job": "conveyor-worker"},
        {"alertname": "ConveyorTargetDown", "severity": "ticket", "job": "conveyor-worker"},
        True,
    ),
    (
        {"alertname": "ConveyorWorkersDown", "severity": "page", "job": "conveyor-worker"},
        {"alertname": "ConveyorTargetDown", "severity": "ticket", "job": "conveyor-api"},
        False,
    ),
]


@pytest.mark.parametrize(("source", "target", "inhibited"), INHIBITIONS)
def test_a_live_alertmanager_applies_each_inhibition(
    alertmanager: tuple[Server, Notifications],
    source: dict[str, str],
    target: dict[str, str],
    inhibited: bool,
) -> None:
    server, _ = alertmanager
    post(server, source, target)
    key = (target["alertname"], target.get("job", target["severity"]))
    wait_until(lambda: key in states(server), timeout=10, what="the alerts to be stored")
    if inhibited:
        status = wait_until(lambda: states(server)[key]["inhibitedBy"] and states(server)[key], timeout=10)
        assert status["state"] == "suppressed"
    else:
        # A control the source does inhibit (its own ticket): once the control is suppressed,
        # the inhibitor knows the source, and the target must still be active.
        post(server, {"alertname": source["alertname"], "severity": "ticket"})
        control = (source["alertname"], "ticket")
        wait_until(lambda: control in states(server) and states(server)[control]["inhibitedBy"], timeout=10)
        status = states(server)[key]
        assert (status["state"], status["inhibitedBy"]) == ("active", [])


def test_a_page_reaches_the_pager_rendered_by_the_templates(
    alertmanager: tuple[Server, Notifications],
) -> None:
    server, notifications = alertmanager
    post(
        server,
        {
            "alertname": "ConveyorWorkersDown",
            "severity": "page",
            "component": "worker",
            "job": "conveyor-worker",
        },
    )
    [(_, body)] = wait_until(
        lambda: [n for n in notifications.snapshot() if n[0] == "/pagerduty"], timeout=20, what="the page"
    )
    assert body["routing_key"] == "local-routing-key"  # read from the secret file
    assert body["event_action"] == "trigger"
    assert body["payload"]["summary"] == "[FIRING:1] ConveyorWorkersDown (page) — worker"
    assert "Runbook:" in body["payload"]["custom_details"]["firing"]

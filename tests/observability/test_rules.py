"""The alerting rules, exercised by promtool: syntax, unit tests (every alert fires in one case and
stays quiet in another), the labels and annotations every alert carries, and the metric contract."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from scripts.observability.contract import dangling, exported_series

from tests.observability import rules
from tests.observability.conftest import tool
from tests.support import REPO

ALWAYS_FIRING = {"ConveyorWatchdog"}  # the dead-man's switch: its silence is the signal
SEVERITIES = {"page", "ticket", "info"}


@pytest.mark.parametrize("path", rules.rule_files(), ids=lambda p: p.name)
def test_promtool_accepts_the_rule_file(path: Path) -> None:
    result = subprocess.run([tool("promtool"), "check", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", rules.promtool_case_files(), ids=lambda p: p.name)
def test_promtool_unit_tests_pass(path: Path) -> None:
    result = subprocess.run(
        [tool("promtool"), "test", "rules", str(path)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    fires, quiet = rules.cases(rules.promtool_case_files())
    names = {alert.name for alert in rules.alerts()}
    assert names - fires == set(), "alerts without a promtool case where they fire"
    assert names - ALWAYS_FIRING - quiet == set(), "alerts without a promtool case where they must not fire"
    assert (fires | quiet) - names == set(), "promtool cases for alerts that do not exist"


def test_the_case_check_catches_an_alert_tested_only_firing(tmp_path: Path) -> None:
    lonely = tmp_path / "one-sided.test.yaml"
    lonely.write_text(
        "tests:\n  - alert_rule_test:\n"
        "      - {alertname: ConveyorX, eval_time: 1m, exp_alerts: [{exp_labels: {a: b}}]}\n"
    )
    assert rules.cases([lonely]) == ({"ConveyorX"}, set())


def test_every_alert_is_named_labelled_and_annotated_per_the_conventions() -> None:
    problems = []
    for alert in rules.alerts():
        where = f"{alert.file.name}: {alert.name}"
        if not alert.name.startswith("Conveyor"):
            problems.append(f"{where}: name must start with Conveyor")
        if alert.labels.get("severity") not in SEVERITIES:
            problems.append(f"{where}: severity must be one of {sorted(SEVERITIES)}")
        if not alert.labels.get("component"):
            problems.append(f"{where}: no component label")
        for key in ("summary", "description", "runbook_url", "dashboard_url"):
            if not alert.annotations.get(key):
                problems.append(f"{where}: no {key} annotation")
        if "$value" not in alert.annotations.get("description", ""):
            problems.append(f"{where}: the description must state the value")
        if alert.annotations.get("runbook_url") != f"docs/runbooks/{alert.name}.md":
            problems.append(f"{where}: runbook_url must be docs/runbooks/{alert.name}.md")
    assert problems == []


def test_rules_name_only_metrics_the_processes_export() -> None:
    known = exported_series() | rules.recorded_series()
    expressions = [rule["expr"] for rule in rules.rules()]
    assert len(expressions) > 50
    assert dangling(expressions, known) == {}


def test_the_contract_check_catches_a_dangling_metric() -> None:
    known = exported_series()
    assert dangling(["rate(conveyor_jobs_failed_total[5m]) > 0"], known) == {
        "rate(conveyor_jobs_failed_total[5m]) > 0": frozenset({"conveyor_jobs_failed_total"})
    }


def test_rule_files_live_in_the_one_folder() -> None:
    """Conveyor's rules in one folder; the cost report's (the cluster's Prometheus, not Conveyor's
    own: test_cost_rules.py) in its own."""
    stray = [p for p in REPO.joinpath("observability").rglob("*.y*ml") if "groups:" in p.read_text()]
    assert {p.parent for p in stray} == {rules.RULES, REPO / "observability" / "cost"}


def test_promtool_accepts_the_prometheus_configuration() -> None:
    config = rules.RULES.parent / "prometheus.yml"
    result = subprocess.run(
        [tool("promtool"), "check", "config", str(config)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 2 rule files found" in result.stdout

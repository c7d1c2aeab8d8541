"""The cost-allocation report (observability/cost): recording rules for the cluster's Prometheus
over kube-state-metrics and cAdvisor, checked and unit-tested by promtool. They stay out of
observability/prometheus/rules: those run on Conveyor's own Prometheus, are copied into the
chart's PrometheusRule and may name only series Conveyor's processes export."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.observability.conftest import OBSERVABILITY, tool
from tests.support import REPO

COST = OBSERVABILITY / "cost"
RULES = COST / "cost-allocation.rules.yaml"
CASES = COST / "cost-allocation.test.yaml"
# What the chart labels every pod with (deploy/helm/conveyor/templates/_helpers.tpl), as
# kube-state-metrics names a Kubernetes label in kube_pod_labels.
CHART_LABELS = {
    "label_conveyor_io_team": "conveyor.io/team",
    "label_conveyor_io_cost_center": "conveyor.io/cost-center",
    "label_app_kubernetes_io_component": "app.kubernetes.io/component",
}
REPORT_LABELS = {"environment", "namespace", "team", "cost_center", "component"}


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("promtool"), *map(str, args)], capture_output=True, text=True, timeout=300, check=False
    )


def recording_rules() -> list[dict[str, str]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_promtool_accepts_the_cost_rules() -> None:
    done = promtool("check", "rules", RULES)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 5 rules found" in done.stdout


def test_promtool_cases_attribute_requests_and_usage_to_their_owner() -> None:
    done = promtool("test", "rules", CASES)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_wrong_expectation_fails_the_cases(tmp_path: Path) -> None:
    """The cases compare values: a cost attributed to the wrong team would fail them."""
    broken = CASES.read_text().replace("labels: '{team=\"payments\"}'", "labels: '{team=\"platform-x\"}'")
    assert broken != CASES.read_text()
    (tmp_path / RULES.name).write_text(RULES.read_text())
    (tmp_path / CASES.name).write_text(broken)
    done = promtool("test", "rules", tmp_path / CASES.name)
    assert done.returncode != 0 and "FAILED" in done.stdout + done.stderr


def test_the_report_groups_by_the_chart_labels() -> None:
    """Each sum keeps the report's labels, and the owner series reads exactly the labels the chart
    sets, so renaming one on either side breaks this test, not the bill."""
    helpers = (REPO / "deploy" / "helm" / "conveyor" / "templates" / "_helpers.tpl").read_text()
    owner, *sums = recording_rules()
    for series, label in CHART_LABELS.items():
        assert series in owner["expr"], f"{owner['record']} does not read {label}"
        if label.startswith("conveyor.io/"):
            assert f"{label}:" in helpers, f"the chart no longer sets {label}"
    for rule in sums:
        assert rule["record"].startswith("conveyor_cost:")
        grouping = rule["expr"].split("sum by (", 1)[1].split(")", 1)[0]
        assert {label.strip() for label in grouping.split(",")} == REPORT_LABELS, rule["record"]

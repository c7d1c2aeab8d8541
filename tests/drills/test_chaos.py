"""The worker-SIGKILL chaos experiment end to end, through the Chaos Toolkit's own runner: the
hypothesis holds before and after, every acknowledged job is accounted for, and the alert the
runbook promises (ConveyorLeaseRescuesSpiking) reaches Alertmanager's receiver."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from chaos.prometheus import range_selectors, without_threshold
from chaos.run import EXPERIMENTS, failed_activities, run_one

from tests.support import REPO

pytestmark = pytest.mark.timeout(300)


def test_worker_sigkill_mid_run_loses_nothing_and_alerts(drill_dir: Path) -> None:
    result = run_one(EXPERIMENTS / "worker-sigkill.json", drill_dir)
    assert result["failures"] == []
    assert result["outcome"] == "recovered"
    accounting = result["accounting"]
    assert accounting["missing"] == 0
    assert accounting["acknowledged"] >= 15  # the fifteen killed mid-run at least
    assert accounting["succeeded"] == accounting["acknowledged"]
    assert result["alert_latency_seconds"] is not None
    assert result["alert_latency_seconds"] > 0


def test_a_failed_activity_is_reported_not_hidden() -> None:
    journal = {
        "run": [
            {
                "activity": {"name": "inject"},
                "status": "failed",
                "exception": ["Traceback", "DrillError: no worker\n"],
            },
            {"activity": {"name": "probe"}, "status": "succeeded"},
        ],
        "steady_states": {"before": {"probes": []}, "after": None},
        "rollbacks": [],
    }
    assert failed_activities(journal) == ["inject: DrillError: no worker"]


def test_a_missing_alert_is_diagnosed_from_the_rule_it_should_have_come_from() -> None:
    """When an expected alert does not come, the failure shows the value its rule compares and
    the samples of the counter it reads (chaos/prometheus.py), both taken apart from the
    committed expression."""
    rules = yaml.safe_load((REPO / "observability" / "prometheus" / "rules" / "alerts.yaml").read_text())
    expressions = {r["alert"]: r["expr"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    rescues = expressions["ConveyorLeaseRescuesSpiking"]
    assert without_threshold(rescues) == 'sum(increase(conveyor_maintenance_rows_total{task="rescue"}[15m]))'
    assert range_selectors(rescues) == ['conveyor_maintenance_rows_total{task="rescue"}']
    assert without_threshold("up") is None

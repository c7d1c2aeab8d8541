"""The worker-SIGKILL chaos experiment end to end, through the Chaos Toolkit's own runner: the
hypothesis holds before and after, every acknowledged job is accounted for, and the alert the
runbook promises (ConveyorLeaseRescuesSpiking) reaches Alertmanager's receiver."""

from __future__ import annotations

from pathlib import Path

import pytest
from chaos.run import EXPERIMENTS, failed_activities, run_one

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

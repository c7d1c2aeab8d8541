"""Three chaos experiments end to end, through the Chaos Toolkit's own runner — a worker SIGKILLed
mid-run, PostgreSQL's disk full, one worker partitioned from PostgreSQL in a network namespace:
the hypothesis holds before and after, every acknowledged job is accounted for, and the alert the
runbooks promise reaches Alertmanager's receiver (or, where none is promised, none does)."""

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


def test_postgres_disk_full_refuses_with_503_loses_nothing_and_recovers(drill_dir: Path) -> None:
    """PostgreSQL's volume filled under load: submits are refused with 503 (never a 500, never a
    201 for a row it could not store), the availability page fires, and once space is freed
    everything carries on by itself."""
    result = run_one(EXPERIMENTS / "postgres-disk-full.json", drill_dir)
    assert result["failures"] == []
    assert result["outcome"] == "recovered"
    findings = result["findings"]
    assert set(findings["submits"]) == {"201", "503"}
    assert findings["submits"]["503"] > 0
    assert result["accounting"]["missing"] == 0
    assert result["accounting"]["succeeded"] == result["accounting"]["acknowledged"]
    assert result["alert_latency_seconds"] is not None
    assert str(drill_dir) not in Path("/proc/self/mounts").read_text(), "the tmpfs outlived the test"


def test_a_worker_cut_from_postgres_turns_not_ready_its_jobs_run_elsewhere_and_nobody_is_paged(
    drill_dir: Path,
) -> None:
    """nftables drops one worker's packets to PostgreSQL inside a namespace of the experiment's
    own: that worker reports not ready, the other runs its jobs once their leases expire, the same
    process is ready again once the rule is gone, and the database page stays silent."""
    result = run_one(EXPERIMENTS / "postgres-unreachable-from-worker.json", drill_dir)
    assert result["failures"] == []
    assert result["outcome"] == "recovered"
    findings = result["findings"]
    assert findings["not_ready_after_seconds"] > 0
    assert findings["ready_again_after_heal_seconds"] >= 0
    assert "ConveyorDatabaseUnavailable" in result["expected_silent"]
    assert result["accounting"]["missing"] == 0
    assert result["accounting"]["succeeded"] == result["accounting"]["acknowledged"]


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

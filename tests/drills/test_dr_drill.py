"""The short `make dr-drill`: each scenario on a small load, its figures measured and every
acknowledged job accounted for (the drill itself raises DrillError when one is not)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scripts.dr.drill import TARGET_RTO_S, Sizes, operator_error, primary_lost

pytestmark = pytest.mark.timeout(240)


def assert_accounted(result: dict[str, Any]) -> None:
    accounting = result["accounting"]
    assert accounting["acknowledged"] > 0
    assert accounting["accounted_final"] + accounting["missing"] == accounting["acknowledged"]
    assert accounting["missing"] == len(accounting["missing_ids"]) == result["rpo"]["lost_jobs"]
    assert 0 < result["rto_seconds"] <= TARGET_RTO_S


def test_primary_lost_restored_from_backup_and_archived_wal(drill_dir: Path) -> None:
    sizes = Sizes.short()
    result = primary_lost(drill_dir, sizes, recovery="restore")
    assert_accounted(result)
    # Archiving alone: what is lost is at most the WAL not yet pushed — one archive_timeout
    # (plus the push in flight), never older work.
    assert result["rpo"]["lost_span_seconds"] <= sizes.archive_timeout_s + 5
    assert result["processes_reconnected"] == {"api": 1, "worker": 2, "scheduler": 1}
    assert [b[-1] for b in result["backups"]] == ["F", "I"]


def test_primary_lost_replica_promoted_and_every_process_follows(drill_dir: Path) -> None:
    result = primary_lost(drill_dir, Sizes.short(), recovery="promote-async")
    assert_accounted(result)
    assert result["processes_reconnected"] == {"api": 1, "worker": 2, "scheduler": 1}


def test_operator_error_recovered_by_pitr(drill_dir: Path) -> None:
    result = operator_error(drill_dir, Sizes.short())
    assert_accounted(result)
    assert result["deleted_by_mistake"] > 0
    assert result["restored"] == result["deleted_by_mistake"]
    assert result["rpo"]["lost_jobs"] == 0

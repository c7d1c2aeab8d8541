"""The CLI's tables as a newcomer meets them in an 80-column terminal: nothing wider than the
terminal, ids, states and times whole on one line, long names folded."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from conveyor.cli import jobs_table
from conveyor.engine.models import Job

MOMENT = datetime(2026, 12, 6, 1, 2, 3, tzinfo=UTC)


def job(**changes: object) -> Job:
    base = Job(
        id=123456,
        type="http",
        queue="default",
        state="succeeded",
        payload={},
        priority=0,
        attempts=1,
        max_attempts=25,
        timeout_seconds=30,
        run_at=MOMENT,
        created_at=MOMENT,
        started_at=MOMENT,
        finished_at=MOMENT,
        result=None,
        last_error=None,
        cancel_requested=False,
        schedule_id=None,
        trace_id=None,
    )
    return base.model_copy(update=changes)


def render(width: int, *jobs: Job) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(jobs_table(list(jobs)))
    return console.export_text().splitlines()


def test_a_jobs_table_fits_80_columns_with_times_and_states_whole() -> None:
    long_names = job(type="a-rather-long-job-type-name-for-reports", queue="billing.invoices-eu")
    lines = render(80, job(), long_names)
    assert max(len(line) for line in lines) <= 80
    rows = [line for line in lines if line.startswith("123456")]
    assert len(rows) == 2
    for row in rows:
        assert row.count("12-06 01:02:03") == 2 and "succeeded" in row and "1/25" in row
    assert "times in UTC" in lines[-1]

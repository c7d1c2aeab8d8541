"""Maintenance services, run by whichever scheduler replica holds the leadership lease.

- rescuer: running jobs whose lease expired (worker crashed) go back to the queue;
- promoter: due 'scheduled'/'retrying' jobs become 'queued' and wake workers;
- cleaner: finished jobs (and audit entries) older than their retention are deleted in bounded batches;
- queue stats: depth and oldest-due age per queue for /metrics.

Each task is an idempotent SQL statement, so a brief overlap of two leaders is harmless.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import structlog

from conveyor.admin.audit import prune as prune_audit_log
from conveyor.engine.queries import sql
from conveyor.store.database import Pool, execute, fetch_all, fetch_one
from conveyor.store.sessions import expire_short_lived_state
from conveyor.telemetry import metrics

log = structlog.get_logger("conveyor.maintenance")
LEADERSHIP = "maintenance"


@dataclass(frozen=True)
class MaintenanceConfig:
    retention_succeeded: float
    retention_failed: float
    notify: bool
    retention_audit: float = 0.0
    batch: int = 1000
    cleanup_every: float = 60.0


class Leadership:
    def __init__(self, pool: Pool, holder: str, ttl_seconds: float) -> None:
        self.pool = pool
        self.holder = holder
        self.ttl = ttl_seconds

    async def renew(self) -> bool:
        """Take the lease if free or expired, keep it if ours; True while we lead."""
        row = await fetch_one(
            self.pool, sql("acquire_leadership"), name=LEADERSHIP, holder=self.holder, ttl_seconds=self.ttl
        )
        leading = row is not None
        metrics.is_leader.set(1 if leading else 0)
        return leading

    async def resign(self) -> None:
        await execute(self.pool, sql("resign_leadership"), name=LEADERSHIP, holder=self.holder)
        metrics.is_leader.set(0)


class Maintenance:
    def __init__(self, pool: Pool, config: MaintenanceConfig) -> None:
        self.pool = pool
        self.config = config
        self._last_cleanup = 0.0
        # Each task's series exists at 0 from the start: a counter born with its first burst
        # (12 jobs rescued at once) has no earlier sample, and increase() would never see it —
        # ConveyorLeaseRescuesSpiking missed exactly that in the worker-SIGKILL chaos experiment.
        for task in ("rescue", "promote", "cleanup"):
            metrics.maintenance_rows.labels(task)

    async def run_once(self) -> dict[str, int]:
        done = {
            "rescued": await self.rescue(),
            "promoted": await self.promote(),
        }
        if time.monotonic() - self._last_cleanup >= self.config.cleanup_every:
            done["deleted"] = await self.clean()
            self._last_cleanup = time.monotonic()
        await self.export_queue_stats()
        return done

    async def rescue(self) -> int:
        rows = await fetch_all(
            self.pool, sql("rescue_expired"), limit=self.config.batch, notify=self.config.notify
        )
        if rows:
            log.warning("leases_expired", jobs=len(rows), ids=[r["id"] for r in rows[:20]])
            metrics.maintenance_rows.labels("rescue").inc(len(rows))
        return len(rows)

    async def promote(self) -> int:
        row = await fetch_one(
            self.pool, sql("promote_due"), limit=self.config.batch * 10, notify=self.config.notify
        )
        promoted = int(row["promoted"]) if row else 0
        metrics.maintenance_rows.labels("promote").inc(promoted)
        return promoted

    async def clean(self) -> int:
        deleted = 0
        for states, retention in (
            (["succeeded"], self.config.retention_succeeded),
            (["dead", "cancelled"], self.config.retention_failed),
        ):
            if retention <= 0:
                continue
            while True:
                row = await fetch_one(
                    self.pool,
                    sql("delete_finished"),
                    states=states,
                    older_than_seconds=retention,
                    limit=self.config.batch * 10,
                )
                count = int(row["jobs"]) if row else 0
                deleted += count
                if count < self.config.batch * 10:
                    break
        await expire_short_lived_state(self.pool)
        if pruned := await prune_audit_log(self.pool, self.config.retention_audit):
            log.info("audit_retention_cleanup", entries=pruned)
        if deleted:
            log.info("retention_cleanup", jobs=deleted)
            metrics.maintenance_rows.labels("cleanup").inc(deleted)
        return deleted

    async def export_queue_stats(self) -> None:
        async with self.pool.connection() as conn:
            stats = await fetch_all(conn, sql("queue_stats"))
            running = await fetch_all(conn, sql("running_counts"))
        metrics.queue_depth.clear()
        metrics.queue_oldest_due_age.clear()
        metrics.jobs_running.clear()
        running_per_queue = {row["queue"]: row["running"] for row in running}
        for row in stats:
            metrics.queue_depth.labels(row["queue"], "due").set(row["due"])
            metrics.queue_depth.labels(row["queue"], "waiting").set(row["waiting"])
            metrics.queue_oldest_due_age.labels(row["queue"]).set(float(row["oldest_due_age_seconds"]))
            # 0, not absent, for a queue with work and nothing running: a stalled queue must
            # show as such to alerts and dashboards, not as a missing series.
            running_per_queue.setdefault(row["queue"], 0)
        for queue, count in running_per_queue.items():
            metrics.jobs_running.labels(queue).set(count)

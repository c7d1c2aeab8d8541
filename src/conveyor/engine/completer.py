"""The completer: records attempt outcomes in batches, one UPDATE per batch.

Handlers finish one by one; writing each outcome on its own would cost a round trip and a
commit per job. Outcomes wait here a few milliseconds and go out together. If the database is
unreachable they stay buffered (their leases are still renewed by the heartbeat) and are
retried with backoff; if a lease was lost meanwhile, the UPDATE skips that row, which also makes
writing an outcome twice harmless.

Outcomes arrive storable (``storable.py``), but should the database still refuse a batch for
what it carries, one row must not hold back the others (ADR 0013): the batch is written row by
row, and a row refused on its own is recorded as a failed attempt with the database's reason.
A completer that keeps failing to write says so (``problem``, the worker's readiness) and counts
it (``conveyor_completer_write_failures_total``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import structlog
from psycopg.types.json import Jsonb

from conveyor.engine.queries import sql
from conveyor.engine.storable import describe, error_record
from conveyor.store.database import Pool, execute
from conveyor.telemetry import metrics

log = structlog.get_logger("conveyor.completer")

# A statement's parameters travel in one protocol message, which PostgreSQL caps at 1 GB; a
# batch stops growing at this many bytes of results (results are at most 4 MiB each).
BATCH_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    job_id: int
    attempt: int
    state: str  # succeeded | retrying | dead | cancelled
    result_json: bytes | None = None  # from storable.encode_result
    error: dict[str, Any] | None = None  # from storable.error_record
    retry_in: float = 0.0


class Completer:
    def __init__(
        self,
        pool: Pool,
        worker_id: str,
        *,
        on_written: Callable[[], None] = lambda: None,
        max_batch: int = 500,
        linger: float = 0.002,
        unready_after: int = 3,
    ) -> None:
        self.pool = pool
        self.on_written = on_written  # written outcomes free worker slots: wake the producer
        self.worker_id = worker_id
        self.max_batch = max_batch
        self.linger = linger
        # Failed write rounds in a row (about 1.5 s of backoff at 3) before `problem` is set.
        self.unready_after = unready_after
        self._pending: list[Outcome] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._failed_rounds = 0
        self._last_error = ""

    def submit(self, outcome: Outcome) -> None:
        self._pending.append(outcome)
        self._idle.clear()
        self._wake.set()

    @property
    def backlog(self) -> int:
        return len(self._pending)

    def pending_ids(self) -> list[int]:
        return [o.job_id for o in self._pending]

    @property
    def problem(self) -> str | None:
        """Why outcomes are not being written (None while writes succeed)."""
        if self._failed_rounds < self.unready_after:
            return None
        return (
            f"cannot write job outcomes: {self._failed_rounds} attempts failed in a row, "
            f"{len(self._pending)} outcomes waiting; last error: {self._last_error}"
        )

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(self.linger)
            while self._pending:
                batch = self._next_batch()
                if not await self._write_batch(batch):
                    self._failed_rounds += 1
                    delay = min(5.0, 0.1 * 2**self._failed_rounds)
                    log.warning(
                        "completion_write_failed",
                        error=self._last_error,
                        retry_in=delay,
                        buffered=len(self._pending),
                    )
                    metrics.completer_backlog.set(len(self._pending))
                    await asyncio.sleep(delay)
                    continue
                self._failed_rounds = 0
                del self._pending[: len(batch)]
                metrics.completer_backlog.set(len(self._pending))
                self.on_written()
            self._wake.clear()
            self._idle.set()

    async def flush(self, timeout: float) -> bool:
        """Wait until everything submitted so far is written; False on timeout."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def _next_batch(self) -> list[Outcome]:
        size = 0
        for count, outcome in enumerate(self._pending[: self.max_batch]):
            size += len(outcome.result_json or b"")
            if size > BATCH_MAX_BYTES and count > 0:
                return self._pending[:count]
        return self._pending[: self.max_batch]

    async def _write_batch(self, batch: list[Outcome]) -> bool:
        """Write the batch; True when every outcome in it is settled (written or recorded as
        refused), False to keep the batch and retry it later."""
        try:
            await self._write(batch)
        except psycopg.OperationalError as exc:  # unreachable, timed out: nothing to isolate
            self._failed(exc)
            return False
        except Exception as exc:
            self._failed(exc)
            return await self._write_one_by_one(batch)
        return True

    async def _write_one_by_one(self, batch: list[Outcome]) -> bool:
        """The database refused the batch statement: find the rows it refuses on their own.
        Rows written here before a later failure are skipped when the batch is retried (their
        job is no longer running under this worker)."""
        for outcome in batch:
            try:
                await self._write([outcome])
            except psycopg.OperationalError as exc:
                self._failed(exc)
                return False
            except Exception as exc:
                self._failed(exc)
                if not await self._record_refused(outcome, exc):
                    return False
        return True

    async def _record_refused(self, outcome: Outcome, refusal: Exception) -> bool:
        """Record a refused outcome as a failed attempt instead; False if the database refuses
        that too for a reason that is not the row's (then nothing is written: retry later)."""
        message = (
            f"the database refused to store this attempt's outcome ({outcome.state}): "
            f"{type(refusal).__name__}: {describe(refusal)}"
        )
        instead = Outcome(
            outcome.job_id,
            outcome.attempt,
            "dead",
            error=error_record("unstorable_outcome", message, attempt=outcome.attempt, retryable=False),
        )
        try:
            await self._write([instead])
        except (psycopg.DataError, psycopg.IntegrityError) as exc:
            # Even the plain failure is refused for this row's data: let go of it. Its lease
            # lapses and the rescuer gives the job back to the queue.
            self._failed(exc)
            metrics.completer_outcomes_refused.labels("dropped").inc()
            log.error("completion_dropped", job_id=outcome.job_id, error=describe(exc))
            return True
        except Exception as exc:
            self._failed(exc)
            return False
        metrics.completer_outcomes_refused.labels("recorded_as_failure").inc()
        log.error("completion_refused", job_id=outcome.job_id, state=outcome.state, error=message)
        return True

    def _failed(self, exc: Exception) -> None:
        metrics.completer_write_failures.inc()
        # Only the first line: PostgreSQL's DETAIL and CONTEXT can quote the data being written,
        # and this reason is shown on the unauthenticated /readyz.
        first_line = describe(exc).partition("\n")[0]
        self._last_error = f"{type(exc).__name__}: {first_line}"[:500]

    async def _write(self, batch: list[Outcome]) -> None:
        params = {
            "ids": [o.job_id for o in batch],
            "attempts": [o.attempt for o in batch],
            "states": [o.state for o in batch],
            "results": [_encoded_jsonb(o.result_json) for o in batch],
            "errors": [Jsonb(o.error) if o.error is not None else None for o in batch],
            "retry_in": [o.retry_in for o in batch],
            "worker_id": self.worker_id,
        }
        await execute(self.pool, sql("complete"), **params)


def _encoded_jsonb(text: bytes | None) -> Jsonb | None:
    # Already JSON text (encoded once, in the worker): psycopg sends it as it is.
    return None if text is None else Jsonb(text, dumps=_as_is)


def _as_is(text: bytes) -> bytes:
    return text

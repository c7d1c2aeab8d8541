"""/api/v1/analytics: throughput, outcomes and latency percentiles over a time window.

Answers are reused for ``CONVEYOR_ANALYTICS_CACHE_SECONDS`` (api/cache.py), keyed by the query as
asked and the caller's role: a window left open (no ``until``) is "now" as of the first answer,
so numbers may be that many seconds old, and callers who may see different things never share
an answer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime

from conveyor.api import API_PREFIX
from conveyor.api.cache import cache_key
from conveyor.api.conditional import JSON
from conveyor.api.deps import AnalyticsCacheDep, CanReadAnalytics, PoolDep
from conveyor.api.models.analytics import Analytics, Breakdown, Bucket, Percentiles
from conveyor.api.problems import PROBLEM_RESPONSES, Problem
from conveyor.engine.models import QUEUE_PATTERN
from conveyor.engine.queries import sql
from conveyor.store.database import Pool, fetch_all

router = APIRouter(prefix=API_PREFIX, tags=["analytics"], responses=PROBLEM_RESPONSES)
MAX_WINDOW = timedelta(days=31)
MAX_BUCKETS = 500


def _breakdown(row: dict[str, Any], seconds: float) -> Breakdown:
    finished = row["succeeded"] + row["dead"]
    return Breakdown(
        **{
            k: row[k]
            for k in ("queue", "type", "enqueued", "started", "succeeded", "retried", "dead", "cancelled")
        },
        success_rate=row["succeeded"] / finished if finished else None,
        throughput_per_second=row["succeeded"] / seconds,
        queue_wait_seconds=Percentiles.of(row["wait_seconds"]),
        run_seconds=Percentiles.of(row["run_seconds"]),
    )


@router.get("/analytics", response_model=Analytics)
async def analytics(
    pool: PoolDep,
    cache: AnalyticsCacheDep,
    principal: CanReadAnalytics,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    queue: Annotated[str | None, Query(pattern=QUEUE_PATTERN)] = None,
    type: Annotated[str | None, Query(max_length=128)] = None,
    bucket_seconds: Annotated[int | None, Query(ge=1, le=86_400)] = None,
) -> Response:
    """Defaults to the last hour. Finished (succeeded/dead) counts, success rate, throughput and
    p50/p95/p99 of queue wait (due → started) and run time, per queue and type."""
    # Everyone with analytics:read sees the same numbers today; the role is in the key all the
    # same, so that a view narrowed by role can never be served from another role's answer.
    key = cache_key(
        "analytics",
        principal.role,
        {"since": since, "until": until, "queue": queue, "type": type, "bucket_seconds": bucket_seconds},
    )
    if (cached := await cache.get(key)) is not None:
        return Response(content=cached, media_type=JSON)
    body = (await _compute(pool, since, until, queue, type, bucket_seconds)).model_dump_json().encode()
    await cache.put(key, body)
    return Response(content=body, media_type=JSON)


async def _compute(
    pool: Pool,
    since: datetime | None,
    until: datetime | None,
    queue: str | None,
    type: str | None,
    bucket_seconds: int | None,
) -> Analytics:
    until = until or datetime.now(UTC)
    try:
        since = since or until - timedelta(hours=1)
    except OverflowError:
        raise Problem(
            422,
            "until: too early to look back an hour from",
            slug="validation",
            errors=[{"field": "until", "message": "too early"}],
        ) from None
    window = until - since
    if window <= timedelta(0) or window > MAX_WINDOW:
        raise Problem(
            422,
            "since/until: the window must be positive and at most 31 days",
            slug="validation",
            errors=[{"field": "since", "message": "window must be positive and at most 31 days"}],
        )
    bucket = bucket_seconds or max(1, int(window.total_seconds() // 60))
    if window.total_seconds() / bucket > MAX_BUCKETS:
        raise Problem(
            422,
            f"bucket_seconds: more than {MAX_BUCKETS} buckets in the window",
            slug="validation",
            errors=[{"field": "bucket_seconds", "message": f"at most {MAX_BUCKETS} buckets"}],
        )
    params = {"since": since, "until": until, "queue": queue, "type": type, "bucket_seconds": bucket}
    async with pool.connection() as conn:
        rows = await fetch_all(conn, sql("analytics_by_queue_type"), **params)
        series = await fetch_all(conn, sql("analytics_series"), **params)
    seconds = window.total_seconds()
    return Analytics(
        since=since,
        until=until,
        bucket_seconds=bucket,
        breakdown=[_breakdown(r, seconds) for r in rows],
        series=[Bucket.model_validate(s) for s in series],
    )

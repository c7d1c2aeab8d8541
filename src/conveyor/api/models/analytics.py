"""Bodies of /api/v1/analytics."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class Percentiles(BaseModel):
    p50: float | None
    p95: float | None
    p99: float | None

    @classmethod
    def of(cls, values: list[float] | None) -> Percentiles:
        p50, p95, p99 = values or (None, None, None)
        return cls(p50=p50, p95=p95, p99=p99)


class Breakdown(BaseModel):
    queue: str
    type: str
    enqueued: int
    started: int
    succeeded: int
    retried: int
    dead: int
    cancelled: int
    success_rate: float | None
    throughput_per_second: float
    queue_wait_seconds: Percentiles
    run_seconds: Percentiles


class Bucket(BaseModel):
    bucket_start: datetime
    succeeded: int
    dead: int
    retried: int


class Analytics(BaseModel):
    since: datetime
    until: datetime
    bucket_seconds: int
    breakdown: list[Breakdown]
    series: list[Bucket]

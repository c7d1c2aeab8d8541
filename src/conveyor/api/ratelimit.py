"""Per-API-key rate limits (the ``limits`` library), shared through Redis when configured.

``CONVEYOR_RATE_LIMIT`` uses the library's notation, e.g. ``100/second;5000/minute``; every
limit applies and the tightest one is reported in the ``RateLimit-*`` headers. The sliding
window counter smooths bursts at window edges much like a token bucket, at O(1) storage per
key. Without ``CONVEYOR_REDIS_URL`` counters are per process.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import structlog
from limits import RateLimitItem, parse_many
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

log = structlog.get_logger("conveyor.ratelimit")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, self.reset_seconds))
        return headers


class RateLimiter:
    def __init__(self, spec: str, redis_url: str | None) -> None:
        self.items: list[RateLimitItem] = parse_many(spec)
        uri = "async+" + redis_url if redis_url else "async+memory://"
        self.strategy = SlidingWindowCounterRateLimiter(storage_from_string(uri))

    async def refusal(self, key: str) -> Verdict | None:
        """The verdict refusing ``key``'s next request if a limit is used up, without counting
        one; None while within every limit (or when the store is unreachable: fail open)."""
        try:
            for item in self.items:
                if not await self.strategy.test(item, "conveyor", key):
                    stats = await self.strategy.get_window_stats(item, "conveyor", key)
                    reset = max(0, math.ceil(stats.reset_time - time.time()))
                    return Verdict(False, item.amount, 0, reset)
        except Exception as exc:
            log.warning("rate_limit_store_unavailable", error=str(exc))
        return None

    async def hit(self, key: str) -> Verdict | None:
        """Count one request for ``key``; None when the limit store is unreachable (fail open:
        an outage of Redis must not take the API down with it)."""
        try:
            verdicts = []
            for item in self.items:
                allowed = await self.strategy.hit(item, "conveyor", key)
                stats = await self.strategy.get_window_stats(item, "conveyor", key)
                reset = max(0, math.ceil(stats.reset_time - time.time()))
                verdicts.append(Verdict(allowed, item.amount, stats.remaining, reset))
        except Exception as exc:
            log.warning("rate_limit_store_unavailable", error=str(exc))
            return None
        refused = [v for v in verdicts if not v.allowed]
        if refused:
            return max(refused, key=lambda v: v.reset_seconds)
        return min(verdicts, key=lambda v: v.remaining)

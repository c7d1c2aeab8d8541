"""A short-lived cache of computed answers (analytics), shared through Redis when configured.

Analytics aggregate the event history over a window: the same dashboard polled by many people
(or by one console open in many tabs) would otherwise run the same two aggregate queries again
and again. An answer is kept for ``CONVEYOR_ANALYTICS_CACHE_SECONDS``; with ``CONVEYOR_REDIS_URL``
every API replica reads the others' answers, without it each process keeps its own (bounded).

What a key names is the caller's concern (cache_key): it must carry everything that decides the
answer, including what the caller may see. Redis being unreachable only means computing the
answer again (logged), never an error: the cache is an optimisation, nothing relies on it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    import coredis

log = structlog.get_logger("conveyor.cache")

# In-process: enough for every dashboard a team keeps open, small enough to never matter.
MAX_LOCAL_ENTRIES = 1024
NAMESPACE = "conveyor:cache:"


def cache_key(kind: str, visibility: str, query: dict[str, object]) -> str:
    """A key naming ``kind``, who may see the answer and the query that computes it."""
    canonical = json.dumps(query, sort_keys=True, default=str, separators=(",", ":"))
    return f"{NAMESPACE}{kind}:{visibility}:{hashlib.sha256(canonical.encode()).hexdigest()}"


class ResponseCache:
    def __init__(self, ttl_seconds: float, redis_url: str | None) -> None:
        self.ttl = ttl_seconds
        self.redis: coredis.Redis[bytes] | None = None
        if redis_url:
            # Imported only when Redis is configured: it costs every process ~0.2 s at start.
            import coredis

            self.redis = coredis.Redis.from_url(redis_url, decode_responses=False)
        self.local: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    async def get(self, key: str) -> bytes | None:
        if not self.enabled:
            return None
        if self.redis is not None:
            try:
                value = await self.redis.get(key)
            except Exception as exc:
                log.warning("cache_store_unavailable", error=str(exc))
                return None
            return bytes(value) if value is not None else None
        found = self.local.get(key)
        if found is None:
            return None
        if found[0] <= time.monotonic():
            del self.local[key]
            return None
        return found[1]

    async def put(self, key: str, value: bytes) -> None:
        if not self.enabled:
            return
        if self.redis is not None:
            try:
                await self.redis.set(key, value, px=max(1, int(self.ttl * 1000)))
            except Exception as exc:
                log.warning("cache_store_unavailable", error=str(exc))
            return
        now = time.monotonic()
        self.local[key] = (now + self.ttl, value)
        self.local.move_to_end(key)
        while len(self.local) > MAX_LOCAL_ENTRIES:
            self.local.popitem(last=False)

    async def close(self) -> None:
        if self.redis is not None:
            self.redis.connection_pool.disconnect()

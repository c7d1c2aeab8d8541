"""Retry delays: exponential with "equal jitter", capped."""

from __future__ import annotations

import random


def retry_delay(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based).

    The ceiling doubles each attempt up to ``cap``; the delay is drawn uniformly from
    [ceiling/2, ceiling] so retries of many jobs that failed together spread out, yet a retry
    never comes sooner than half the nominal delay.
    """
    ceiling = min(cap, base * 2.0 ** min(attempt - 1, 62))
    draw: float = (rng or random).uniform(0.5, 1.0)
    return ceiling * draw

"""One way to wait for what gives no signal to wait on (a port, a row, a process's readiness):
poll it. The drills, the chaos experiments and the tests all wait through ``poll``; each names
the error a timeout is to them (DrillError, AssertionError)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def poll(
    condition: Callable[[], Any],
    *,
    timeout: float,
    what: str,
    interval: float = 0.1,
    error: type[Exception] = TimeoutError,
) -> Any:
    """``condition``'s first truthy value; ``error`` naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise error(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)

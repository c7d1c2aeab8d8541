"""Per-user limits on what a user can keep (schedules, API keys), set by ``CONVEYOR_MAX_*``."""

from __future__ import annotations


class QuotaExceeded(Exception):
    """Creating one more would pass a per-user limit; the message names the setting."""

    def __init__(self, what: str, limit: int, setting: str) -> None:
        super().__init__(
            f"this user has {limit} {what}, the most allowed ({setting}); delete or revoke one first"
        )

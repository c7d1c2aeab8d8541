"""Cadences: 5-field cron expressions in a time zone, or ``@every <duration>``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

_DURATION = re.compile(r"(\d+)(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_EVERY = timedelta(seconds=1)


class CadenceError(ValueError):
    """A cron expression, duration or time zone that cannot be used; the message says why and
    ``field`` which input (``cron`` or ``timezone``) is wrong."""

    def __init__(self, message: str, *, field: str = "cron") -> None:
        super().__init__(message)
        self.field = field


def parse_duration(text: str) -> timedelta:
    """``90s``, ``5m``, ``1h30m``, ``2d`` -> timedelta."""
    text = text.strip()
    if not text or _DURATION.sub("", text):
        raise CadenceError(
            f"{text!r} is not a duration; use a number with a unit (ms, s, m, h, d), e.g. 30s or 1h30m"
        )
    return timedelta(seconds=sum(int(n) * _UNITS[unit] for n, unit in _DURATION.findall(text)))


@dataclass(frozen=True)
class Cadence:
    expression: str
    timezone: ZoneInfo
    every: timedelta | None

    def next_after(self, moment: datetime) -> datetime:
        """The first fire time strictly after ``moment`` (an aware datetime), in UTC."""
        if self.every is not None:
            return (moment + self.every).astimezone(UTC)
        local = moment.astimezone(self.timezone)
        nxt: datetime = croniter(self.expression, local).get_next(datetime)
        return nxt.astimezone(UTC)

    def preview(self, start: datetime, count: int) -> list[datetime]:
        times, moment = [], start
        for _ in range(count):
            moment = self.next_after(moment)
            times.append(moment)
        return times


def parse_cadence(expression: str, timezone: str = "UTC") -> Cadence:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CadenceError(
            f"unknown time zone {timezone!r}; use an IANA name like Europe/Paris", field="timezone"
        ) from None
    expression = " ".join(expression.split())
    if expression.startswith("@every"):
        every = parse_duration(expression.removeprefix("@every"))
        if every < MIN_EVERY:
            raise CadenceError(f"@every must be at least {MIN_EVERY.total_seconds():g}s")
        return Cadence(expression, zone, every)
    fields = expression.split()
    if len(fields) != 5:
        raise CadenceError(
            f"cron needs 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}"
        )
    if not croniter.is_valid(expression):
        raise CadenceError(f"{expression!r} is not a valid cron expression")
    return Cadence(expression, zone, None)

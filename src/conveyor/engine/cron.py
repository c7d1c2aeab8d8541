"""Cadences: 5-field cron expressions in a time zone, or ``@every <duration>``.

Parsing proves a cadence usable: it fires at all (``0 0 30 2 *`` never does) and its next fire
times stay within what a date can hold. Every refusal is a ``CadenceError`` naming the field,
so no expression, however hostile, gets further than a clear 422.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

_DURATION = re.compile(r"(\d+)(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_EVERY = timedelta(seconds=1)
# Longer than a year is a calendar date, which a cron expression says better; the cap also
# keeps every fire time (and a preview of 100 of them) far inside what a datetime can hold.
MAX_EVERY = timedelta(days=366)
MAX_EXPRESSION_LENGTH = 200


class CadenceError(ValueError):
    """A cron expression, duration or time zone that cannot be used; the message says why and
    ``field`` which input (``cron`` or ``timezone``) is wrong."""

    def __init__(self, message: str, *, field: str = "cron") -> None:
        super().__init__(message)
        self.field = field


def parse_duration(text: str) -> timedelta:
    """``90s``, ``5m``, ``1h30m``, ``2d`` -> timedelta, at most ``MAX_EVERY``."""
    text = text.strip()
    if not text or _DURATION.sub("", text):
        raise CadenceError(
            f"{text!r} is not a duration; use a number with a unit (ms, s, m, h, d), e.g. 30s or 1h30m"
        )
    limit = MAX_EVERY.total_seconds()
    total = 0.0
    for number, unit in _DURATION.findall(text):
        # Compared digit by digit first: int() of thousands of digits is refused by Python
        # itself, and a huge count would overflow timedelta.
        if len(number.lstrip("0")) > len(str(int(limit))) + 3:
            raise _too_large()
        total += int(number) * _UNITS[unit]
    if total > limit:
        raise _too_large()
    return timedelta(seconds=total)


def _too_large() -> CadenceError:
    return CadenceError(
        f"interval too large: @every allows at most {MAX_EVERY.days} days; "
        "use a cron expression for yearly or rarer schedules"
    )


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
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise CadenceError(f"longer than {MAX_EXPRESSION_LENGTH} characters")
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
    cadence = Cadence(expression, zone, None)
    try:
        # Any cron expression that fires at all does so within a few years (29 February on a
        # given weekday is the rarest); croniter gives up after 50, which is "never".
        cadence.next_after(datetime.now(UTC))
    except CroniterBadDateError:
        raise CadenceError(
            f"{expression!r} never fires: no date matches it (like 30 February or 31 April)"
        ) from None
    return cadence

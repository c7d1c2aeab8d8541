from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conveyor.engine.backoff import retry_delay
from conveyor.engine.cron import CadenceError, parse_cadence, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("5m", 300), ("1h30m", 5400), ("2d", 172800), ("1500ms", 1.5)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "5", "5 minutes", "m5", "-5s", "1.5s"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(CadenceError):
        parse_duration(text)


def test_cron_in_a_time_zone_follows_daylight_saving() -> None:
    cadence = parse_cadence("0 9 * * *", "Europe/Paris")
    before = cadence.next_after(datetime(2030, 3, 29, 12, tzinfo=UTC))  # 30 March: CET, UTC+1
    after = cadence.next_after(datetime(2030, 3, 31, 12, tzinfo=UTC))  # 1 April: CEST, UTC+2
    assert (before.hour, after.hour) == (8, 7)
    assert before.tzinfo == UTC


def test_every_is_fixed_interval_from_the_previous_fire() -> None:
    cadence = parse_cadence("@every 90s")
    start = datetime(2030, 1, 1, tzinfo=UTC)
    assert cadence.preview(start, 3) == [start + timedelta(seconds=90 * n) for n in (1, 2, 3)]


HOSTILE_CADENCES = [
    ("0 0 30 2 *", "never fires"),
    ("0 0 31 4 *", "never fires"),
    ("0 0 31 2,4,6,9,11 *", "never fires"),
    ("@every 99999999999999d", "interval too large"),
    ("@every 367d", "interval too large"),
    ("@every 366d1s", "interval too large"),
    ("@every " + "9" * 190 + "s", "interval too large"),
    ("@every " + "9" * 5000 + "s", "longer than 200 characters"),
    ("@every 0s", "at least 1s"),
    ("@every 999ms", "at least 1s"),
    ("*/0 * * * *", "not a valid cron expression"),
    ("0 0 1 1 1#6", "not a valid cron expression"),
    ("* * * * * *", "cron needs 5 fields"),
]


@pytest.mark.parametrize(("expression", "reason"), HOSTILE_CADENCES)
def test_hostile_cadences_are_refused_with_a_human_reason(expression: str, reason: str) -> None:
    with pytest.raises(CadenceError) as raised:
        parse_cadence(expression)
    assert raised.value.field == "cron"
    assert reason in str(raised.value)


def test_rare_but_real_cadences_are_accepted() -> None:
    # 29 February, and the fifth Monday of February (a leap year starting on a Monday: gaps of
    # up to 40 years), fire; so does the longest interval allowed.
    start = datetime(2030, 1, 1, tzinfo=UTC)
    assert parse_cadence("0 0 29 2 *").next_after(start) == datetime(2032, 2, 29, tzinfo=UTC)
    assert parse_cadence("0 0 * 2 1#5").next_after(start) == datetime(2044, 2, 29, tzinfo=UTC)
    assert parse_cadence("@every 366d").next_after(start) == start + timedelta(days=366)


CRON_ALPHABET = "0123456789*/,-#LW? @everymshd"


def _fires_in_order_or_refused(expression: str, timezone: str = "UTC") -> None:
    try:
        cadence = parse_cadence(expression, timezone)
    except CadenceError:
        return
    now = datetime.now(UTC)
    times = cadence.preview(now, 5)
    assert now < times[0] and all(a < b for a, b in itertools.pairwise(times)), expression


@given(st.text(alphabet=CRON_ALPHABET, max_size=40))
@example("@every 9999999999999999d")
def test_any_cron_like_text_is_refused_or_fires_in_order(expression: str) -> None:
    _fires_in_order_or_refused(expression)


def _cron_field(low: int, high: int) -> st.SearchStrategy[str]:
    """Values around a field's range (and past it), lists, ranges and steps."""
    value = st.integers(low, high + 2).map(str)
    return st.one_of(
        st.just("*"),
        value,
        st.lists(value, min_size=2, max_size=4).map(",".join),
        st.builds(lambda a, b: f"{a}-{b}", value, value),
        st.builds(lambda a: f"*/{a}", st.integers(0, high + 2)),
    )


@given(
    minute=_cron_field(0, 59),
    hour=_cron_field(0, 23),
    day=_cron_field(1, 31),
    month=_cron_field(1, 12),
    weekday=_cron_field(0, 6),
    timezone=st.sampled_from(["UTC", "Europe/Paris", "America/St_Johns", "Pacific/Chatham"]),
)
@example(minute="0", hour="0", day="30", month="2", weekday="*", timezone="UTC")
@example(minute="0", hour="0", day="31", month="4,6", weekday="*", timezone="Europe/Paris")
def test_any_five_field_expression_is_refused_or_fires_in_order(
    minute: str, hour: str, day: str, month: str, weekday: str, timezone: str
) -> None:
    _fires_in_order_or_refused(f"{minute} {hour} {day} {month} {weekday}", timezone)


@given(number=st.text(alphabet="0123456789", min_size=1, max_size=300), unit=st.sampled_from(list("smhd")))
def test_any_every_interval_is_refused_or_fires_in_order(number: str, unit: str) -> None:
    _fires_in_order_or_refused(f"@every {number}{unit}")


@given(attempt=st.integers(1, 200), base=st.floats(0.01, 10), cap=st.floats(10, 7200), seed=st.integers())
def test_backoff_is_jittered_capped_and_never_too_short(
    attempt: int, base: float, cap: float, seed: int
) -> None:
    delay = retry_delay(attempt, base=base, cap=cap, rng=random.Random(seed))
    ceiling = min(cap, base * 2 ** min(attempt - 1, 62))
    assert ceiling / 2 <= delay <= ceiling <= cap


def test_backoff_grows_until_the_cap() -> None:
    rng = random.Random(1)
    ceilings = [max(retry_delay(a, base=1, cap=60, rng=rng) for _ in range(50)) for a in range(1, 10)]
    assert ceilings[0] <= 1 < ceilings[2] <= 4 < ceilings[4] <= 16 and max(ceilings) <= 60

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
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

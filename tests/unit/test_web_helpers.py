"""The console's small pure helpers: redirect targets and mapping API errors onto form fields."""

from __future__ import annotations

import pytest

from conveyor.client import ApiError
from conveyor.web.auth import local_path, tokens_match
from conveyor.web.forms import api_field_errors, parse_int, parse_json_object


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/jobs?state=dead", "/jobs?state=dead"),
        ("/", "/"),
        (None, "/"),
        ("", "/"),
        ("https://evil.example/", "/"),  # absolute URL: an open redirect
        ("//evil.example/", "/"),  # scheme-relative
        ("/\\evil.example", "/"),
        ("jobs", "/"),
        ("/sign-in?next=/jobs", "/"),  # never back to the sign-in page itself
        ("/sign-out", "/"),
    ],
)
def test_local_path_only_allows_paths_on_this_site(candidate: str | None, expected: str) -> None:
    assert local_path(candidate) == expected


def test_tokens_match_needs_both_and_equal() -> None:
    assert tokens_match("abc", "abc")
    assert not tokens_match("", "")
    assert not tokens_match("abc", "")
    assert not tokens_match("abc", "abd")


def test_api_errors_land_on_the_longest_matching_field() -> None:
    problem = {
        "detail": "invalid",
        "errors": [
            {"field": "job.payload.seconds", "message": "Input should be a valid number"},
            {"field": "cron", "message": "expected 5 fields"},
            {"field": "misfire_policy", "message": "unknown"},
        ],
    }
    errors, general = api_field_errors(
        ApiError(422, problem), {"cron": "cron", "job": "type", "job.payload": "payload"}
    )
    assert errors == {
        "payload": "job.payload.seconds: Input should be a valid number",
        "cron": "expected 5 fields",
    }
    assert general == "misfire_policy: unknown"  # nothing the API said is dropped


def test_api_error_without_field_errors_is_a_form_message() -> None:
    errors, general = api_field_errors(
        ApiError(409, {"detail": "a user with email 'a' exists"}), {"email": "email"}
    )
    assert errors == {} and general == "a user with email 'a' exists"


def test_form_parsers_report_by_field() -> None:
    errors: dict[str, str] = {}
    assert parse_json_object('{"a": 1}', "payload", errors) == {"a": 1}
    assert parse_json_object("", "payload", errors) == {}
    assert parse_json_object("[1]", "payload", errors) == {} and "JSON object" in errors.pop("payload")
    assert parse_json_object("{", "payload", errors) == {} and "not valid JSON" in errors.pop("payload")
    assert parse_int("7", "priority", errors) == 7
    assert parse_int("", "priority", errors, default=0) == 0
    assert parse_int("high", "priority", errors) is None and errors == {"priority": "must be a whole number"}


def test_overview_charts_fill_empty_buckets_and_scale_to_the_peak() -> None:
    from datetime import UTC, datetime, timedelta

    from conveyor.api.models.analytics import Bucket
    from conveyor.web.charts import HEIGHT, throughput_and_failures

    since = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    series = [  # only buckets with events come back from the API
        Bucket(bucket_start=since + timedelta(seconds=60), succeeded=120, dead=0, retried=0),
        Bucket(bucket_start=since + timedelta(seconds=180), succeeded=30, dead=6, retried=4),
    ]
    throughput, failures = throughput_and_failures(series, since, 60, 4)
    ys = [float(p.split(",")[1]) for p in throughput.points.split()]
    assert len(ys) == 4, "every bucket of the window is drawn"
    assert ys[0] == ys[2] == HEIGHT - 2, "empty buckets sit on the baseline"
    assert ys[1] == min(ys), "the peak is the highest point"
    assert (throughput.peak, throughput.latest) == (2.0, 0.5)
    assert (failures.peak, failures.latest) == (25.0, 25.0)  # (6 + 4) / 40 attempts
    assert "peak 2/s, latest 0.5/s" in throughput.summary
    empty, _ = throughput_and_failures([], since, 60, 3)
    assert empty.peak == 0.0 and {float(p.split(",")[1]) for p in empty.points.split()} == {HEIGHT - 2}

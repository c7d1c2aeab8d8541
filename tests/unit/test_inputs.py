"""What the input models accept: storable values, strict types, checked in every field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from conveyor.api.models.jobs import JobBatch
from conveyor.engine.models import JobSpec
from conveyor.inputs import MAX_NESTING, unstorable


def nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"a": "x\x00y"}, "NUL (\\u0000) character at a"),
        ({"a": [1, {"b": float("nan")}]}, "finite number, not nan at a[1].b"),
        ({"k\ud800": 1}, "unpaired surrogate"),
        ("\x00", "NUL"),
        (float("-inf"), "finite number"),
        (nested(MAX_NESTING + 2), f"nested deeper than {MAX_NESTING} levels"),
    ],
)
def test_unstorable_values_are_named_with_their_path(value: Any, reason: str) -> None:
    found = unstorable(value)
    assert found is not None and reason in found


@pytest.mark.parametrize(
    "value",
    [
        {"text": "a literal \\u0000 is just text", "n": 10**100, "f": 1e308, "deep": nested(MAX_NESTING)},
        ["[[[[" * 40, {"{": "}}}"}],  # brackets inside strings do not nest
        "café ✓",
        0,
    ],
)
def test_storable_values_pass(value: Any) -> None:
    assert unstorable(value) is None


def test_a_batch_of_models_is_checked_model_by_model() -> None:
    batch = JobBatch.model_validate({"jobs": [{"type": "echo", "payload": {"n": i}} for i in range(3)]})
    assert [job.payload for job in batch.jobs] == [{"n": 0}, {"n": 1}, {"n": 2}]
    with pytest.raises(ValidationError) as raised:
        JobBatch.model_validate({"jobs": [{"type": "echo"}, {"type": "echo", "payload": {"a": "\x00"}}]})
    assert raised.value.errors()[0]["loc"] == ("jobs", 1, "payload")


@pytest.mark.parametrize(
    ("field", "value"),
    [("priority", True), ("priority", "5"), ("priority", 5.0), ("max_attempts", "3"), ("run_at", 1e12)],
)
def test_job_fields_are_strict(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as raised:
        JobSpec.model_validate({"type": "noop", field: value})
    assert raised.value.errors()[0]["loc"] == (field,)

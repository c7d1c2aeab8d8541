"""The storable boundary (engine/storable.py): what handlers return or raise comes out as JSON
text PostgreSQL's jsonb accepts, changed only where it must be, and saying what changed."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conveyor.engine.storable import (
    ERROR_KIND_MAX_CHARS,
    ERROR_MESSAGE_MAX_CHARS,
    REPAIRED_KEY,
    RESULT_MAX_BYTES,
    UnstorableResult,
    describe,
    encode_result,
    error_record,
)

# What jsonb refuses in JSON text: a NUL escape, a surrogate escape that is not part of a pair,
# and the non-JSON tokens json.dumps writes for NaN and infinities.
LONE_SURROGATE = re.compile(
    r"\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}"
)


def strict_loads(text: bytes) -> Any:
    def refuse(token: str) -> None:
        raise AssertionError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refuse)


def assert_storable(text: bytes) -> Any:
    decoded = text.decode("ascii")
    assert "\\u0000" not in decoded.replace("\\\\", "")
    assert not LONE_SURROGATE.search(decoded.replace("\\\\", ""))
    return strict_loads(text)


@pytest.mark.parametrize(
    "value",
    [
        {"status": 200, "body": "fine"},
        [1, 2.5, True, None, "text"],
        2**64,  # beyond bigint: jsonb numbers are numeric, stored exactly
        -(10**4000),
        "emoji 😀 and a pair written as code units \ud83d\ude00",
        "a literal backslash-u0000: \\u0000 and \\ud800",
        {"nested": {"deep": [{"k": "v"}]}},
    ],
)
def test_values_that_are_fine_are_stored_unchanged(value: Any) -> None:
    text = encode_result(value)
    assert text is not None
    stored = assert_storable(text)
    expected = json.loads(json.dumps(value))
    assert stored == expected


def test_none_is_no_result() -> None:
    assert encode_result(None) is None


@pytest.mark.parametrize(
    ("value", "repaired", "note"),
    [
        ("a\x00b", "a\ufffdb", "$: 1 NUL character(s) replaced with U+FFFD"),
        ({"body": "a\ud800b"}, {"body": "a\ufffdb"}, "$.body: 1 unpaired surrogate character(s) replaced"),
        ({"x": ["\udc00\x00"]}, {"x": ["\ufffd\ufffd"]}, "$.x[0]: 1 NUL and 1 unpaired surrogate"),
        ({"k\x00": 1}, {"k\ufffd": 1}, '$["k\\u0000"] (the key): 1 NUL'),
        (float("nan"), "NaN", "$: NaN is not a JSON number; stored as the string 'NaN'"),
        ([float("inf")], ["Infinity"], "$[0]: Infinity is not a JSON number"),
        ({"t": float("-inf")}, {"t": "-Infinity"}, "$.t: -Infinity is not a JSON number"),
        ({"n": 10**5000}, {"n": "<integer of 16,610 bits>"}, "$.n: integer of 16,610 bits is too long"),
    ],
)
def test_unstorable_pieces_are_repaired_and_flagged(value: Any, repaired: Any, note: str) -> None:
    text = encode_result(value)
    assert text is not None
    stored = assert_storable(text)
    assert set(stored) == {REPAIRED_KEY, "value"}
    assert stored["value"] == repaired
    assert any(n.startswith(note) for n in stored[REPAIRED_KEY]), stored[REPAIRED_KEY]


def test_many_changes_are_counted_beyond_the_listed_ones() -> None:
    stored = assert_storable(encode_result(["\x00"] * 50) or b"")
    assert len(stored[REPAIRED_KEY]) == 21
    assert stored[REPAIRED_KEY][-1] == "… and 30 more changes"


def test_a_cycle_is_refused_naming_where() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(UnstorableResult, match=r"contains itself at \$\.x\[0\]"):
        encode_result({"x": loop})


class Thing:
    pass


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({1, 2}, r"a value of type set at \$,"),
        ({"raw": b"bytes"}, r"a value of type bytes at \$\.raw"),
        ({"a": [0, Thing()]}, r"a value of type Thing at \$\.a\[1\]"),
        ({(1, 2): "tuple key"}, r"a key of type tuple at \$"),
        ("x" * (RESULT_MAX_BYTES + 1), r"more than the 4,194,304 a job may store"),
    ],
)
def test_results_that_are_not_json_or_too_large_are_refused(value: Any, message: str) -> None:
    with pytest.raises(UnstorableResult, match=message):
        encode_result(value)


def test_nesting_deeper_than_json_goes_is_refused() -> None:
    deep: list[Any] = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(UnstorableResult, match="nested too deeply"):
        encode_result(deep)


def test_error_record_repairs_and_bounds_what_a_handler_raised() -> None:
    record = error_record("k\x00" * 200, "m\ud800" + "x" * 10_000_000, attempt=2, retryable=True)
    assert record["kind"] == ("k\ufffd" * 200)[:ERROR_KIND_MAX_CHARS] + "…"
    assert record["message"].startswith("m\ufffdxxx")
    assert len(record["message"]) == ERROR_MESSAGE_MAX_CHARS + 1 and record["message"].endswith("…")
    assert record["attempt"] == 2 and record["retryable"] is True
    assert record["repaired"] == [
        "message: cut to 4000 of 10,000,002 characters",
        "message: 1 unpaired surrogate character(s) replaced with U+FFFD",
        "kind: cut to 100 of 400 characters",
        "kind: 50 NUL character(s) replaced with U+FFFD",
    ]
    assert_storable(json.dumps(record).encode())


def test_an_ordinary_error_is_recorded_as_it_is() -> None:
    assert error_record("http_status", "GET /x answered 404", attempt=1, retryable=False) == {
        "kind": "http_status",
        "message": "GET /x answered 404",
        "attempt": 1,
        "retryable": False,
    }


def test_describe_survives_a_str_that_raises() -> None:
    class Hostile(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert describe(Hostile()) == "<Hostile whose str() raised RuntimeError>"


POISON_TEXT = st.text(alphabet=st.sampled_from(["a", "é", "😀", "\x00", "\ud800", "\udfff", "\\", "u"]))
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities included
    | POISON_TEXT
    | st.builds(pow, st.just(10), st.integers(4300, 5000))  # too long for JSON
)
VALUES = st.recursive(
    LEAVES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(POISON_TEXT, children, max_size=4),
    max_leaves=20,
)


@given(VALUES)
def test_any_json_shaped_value_comes_out_storable(value: Any) -> None:
    text = encode_result(value)
    if value is None:
        assert text is None
        return
    assert text is not None
    stored = assert_storable(text)
    if isinstance(stored, dict) and REPAIRED_KEY in stored:
        assert stored[REPAIRED_KEY], "a repaired result says what changed"
    else:
        assert stored == json.loads(json.dumps(value))  # nothing changed, nothing claimed

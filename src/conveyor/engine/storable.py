"""The one boundary between what handlers return or raise and what the completer writes.

A single value PostgreSQL refuses used to make a whole completion batch unwritable, and the
completer retried that batch for ever. Everything a handler hands back passes here
first and comes out as something ``jsonb`` accepts (ADR 0013):

- text: the NUL character and UTF-16 surrogates that are not part of a pair (which jsonb
  refuses) become U+FFFD, in values and in keys;
- ``NaN``, ``Infinity`` and ``-Infinity`` (not JSON) become the strings ``"NaN"``,
  ``"Infinity"`` and ``"-Infinity"``; an integer too long for JSON (more than Python's 4300
  digits) becomes a string saying how many bits it had;
- whatever was changed is said: a result is stored as
  ``{"conveyor_repaired": [<path: what changed>, ...], "value": <the result, repaired>}`` and
  an error record gets a ``repaired`` list;
- a result that is not JSON at all (a set, bytes, some object, a cycle, nesting deeper than the
  JSON encoder goes) or longer than ``RESULT_MAX_BYTES`` once encoded cannot be stored:
  ``UnstorableResult``, and the worker fails the attempt with that message;
- error messages are cut to ``ERROR_MESSAGE_MAX_CHARS``, kinds to ``ERROR_KIND_MAX_CHARS``.

Cost on the common path: one ``json.dumps`` (its text goes to psycopg as it is, so nothing is
encoded twice) and a substring scan or two; text with characters beyond the BMP (emoji) costs a
second, unescaped ``json.dumps``; only a result that fails those checks is walked.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from conveyor.telemetry import metrics

REPAIRED_KEY = "conveyor_repaired"
RESULT_MAX_BYTES = 4 * 1024 * 1024
ERROR_MESSAGE_MAX_CHARS = 4000
ERROR_KIND_MAX_CHARS = 100
MAX_NOTES = 20  # notes beyond these are counted, not listed
_PATH_MAX_CHARS = 200
_SAFE_INT_BITS = 14_000  # below Python's default limit of 4300 digits for int <-> str

_UNSTORABLE_CHARS = re.compile("[\x00\ud800-\udfff]")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class UnstorableResult(Exception):
    """A handler's result that no repair makes storable; the message says where and why."""


def encode_result(value: Any) -> bytes | None:
    """``value`` as JSON text PostgreSQL stores as jsonb (None stays None: SQL NULL).

    Raises UnstorableResult for values that are not JSON or are too large.
    """
    if value is None:
        return None
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        text = None
    if text is None or _suspect(text, value):
        try:
            repair = _Repair()
            repaired = repair.value(value, "$", set())
            if repair.notes:
                value = {REPAIRED_KEY: repair.listed_notes(), "value": repaired}
                metrics.job_outputs_changed.labels("result").inc()
            if text is None or repair.notes:
                text = json.dumps(value, allow_nan=False)
        except RecursionError:
            raise UnstorableResult("the result is nested too deeply to store as JSON") from None
        except (TypeError, ValueError) as exc:  # not a plain JSON type, though it looks like one
            raise UnstorableResult(f"the result cannot be encoded as JSON: {describe(exc)}") from None
    if len(text) > RESULT_MAX_BYTES:
        raise UnstorableResult(
            f"the result is {len(text):,} bytes as JSON, more than the {RESULT_MAX_BYTES:,} a job "
            "may store: keep large outputs elsewhere (object storage) and return a reference"
        )
    return text.encode()


def _suspect(text: str, value: Any) -> bool:
    """Whether json.dumps text (ASCII) may hold what jsonb refuses: a NUL escape, or a
    surrogate escape that is not half of a pair. A false alarm (a literal backslash in the
    text) only costs a walk that finds nothing."""
    if "\\u0000" in text:
        return True
    if "\\ud" not in text:
        return False
    # Surrogate escapes: pairs (any emoji) are fine. Unescaped, a surrogate left in a string
    # cannot be encoded as UTF-8, which tells the two apart exactly and quickly.
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
    except UnicodeEncodeError:
        return True
    return False


def error_record(kind: Any, message: str, *, attempt: int, retryable: bool) -> dict[str, Any]:
    """A failed attempt's error as stored in ``last_error`` and the job's events."""
    repair = _Repair()
    # Cut first, so a huge message costs no more than a short one; then repair what is kept.
    text = repair.text(repair.cut(message, ERROR_MESSAGE_MAX_CHARS, "message"), "message")
    kind_text = kind if isinstance(kind, str) else describe(kind)
    kind_text = repair.text(repair.cut(kind_text, ERROR_KIND_MAX_CHARS, "kind"), "kind")
    record: dict[str, Any] = {
        "kind": kind_text,
        "message": text,
        "attempt": attempt,
        "retryable": retryable,
    }
    if repair.notes:
        record["repaired"] = repair.listed_notes()
        metrics.job_outputs_changed.labels("error").inc()
    return record


def storable_text(text: str) -> bool:
    """Whether PostgreSQL can store ``text`` in a text column: no NUL, and no surrogate code
    point (which has no UTF-8 form, paired or not)."""
    return _UNSTORABLE_CHARS.search(text) is None


def describe(thing: object) -> str:
    """``str(thing)``, even when its ``__str__`` raises (a handler's exception may be anything)."""
    try:
        return str(thing)
    except Exception as exc:
        return f"<{type(thing).__name__} whose str() raised {type(exc).__name__}>"


def _quoted(key: Any) -> str:
    try:
        return json.dumps(key)[:60]
    except (TypeError, ValueError):
        return type(key).__name__


class _Repair:
    """One walk over a value, building its storable copy and notes on what it changed."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.unlisted = 0

    def note(self, path: str, change: str) -> None:
        if len(self.notes) < MAX_NOTES:
            if len(path) > _PATH_MAX_CHARS:
                path = path[:_PATH_MAX_CHARS] + "…"
            self.notes.append(f"{path}: {change}")
        else:
            self.unlisted += 1

    def listed_notes(self) -> list[str]:
        more = [f"… and {self.unlisted} more changes"] if self.unlisted else []
        return self.notes + more

    def cut(self, text: str, limit: int, path: str) -> str:
        if len(text) <= limit:
            return text
        self.note(path, f"cut to {limit} of {len(text):,} characters")
        return text[:limit] + "…"

    def text(self, text: str, path: str) -> str:
        if storable_text(text):
            return text
        nuls = text.count("\x00")
        fixed = text.replace("\x00", "\ufffd")
        before = fixed.count("\ufffd")
        # Through UTF-16: paired surrogates join into one character, unpaired ones are replaced.
        fixed = fixed.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        lone = fixed.count("\ufffd") - before
        found = [f"{nuls} NUL" if nuls else "", f"{lone} unpaired surrogate" if lone else ""]
        if nuls or lone:
            self.note(path, " and ".join(f for f in found if f) + " character(s) replaced with U+FFFD")
        return fixed

    def value(self, value: Any, path: str, open_containers: set[int]) -> Any:
        if isinstance(value, str):
            return self.text(value, path)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return self.integer(value, path)
        if isinstance(value, float):
            return self.number(value, path)
        if isinstance(value, dict | list | tuple):
            if id(value) in open_containers:
                raise UnstorableResult(f"the result contains itself at {path}: JSON cannot represent a cycle")
            open_containers.add(id(value))
            try:
                if isinstance(value, dict):
                    return self.mapping(value, path, open_containers)
                return [self.value(item, f"{path}[{i}]", open_containers) for i, item in enumerate(value)]
            finally:
                open_containers.discard(id(value))
        raise UnstorableResult(
            f"the result holds a value of type {type(value).__name__} at {path}, which JSON cannot "
            "represent: "
            "return only dicts, lists, strings, numbers, booleans and None"
        )

    def mapping(self, mapping: dict[Any, Any], path: str, open_containers: set[int]) -> dict[str, Any]:
        copy: dict[str, Any] = {}
        for key, item in mapping.items():
            name = self.key(key, f"{path}[{_quoted(key)}] (the key)")
            child = f"{path}.{name}" if _IDENTIFIER.fullmatch(name) else f"{path}[{json.dumps(name)}]"
            if name in copy:
                self.note(child, "two keys are the same once repaired; the later value is kept")
            copy[name] = self.value(item, child, open_containers)
        return copy

    def key(self, key: Any, path: str) -> str:
        # As json.dumps turns keys into strings; a key it cannot turn is no JSON.
        if isinstance(key, str):
            return self.text(key, path)
        if key is None or isinstance(key, bool):
            return json.dumps(key)
        if isinstance(key, int):
            return str(self.integer(key, path))
        if isinstance(key, float):
            return str(self.number(key, path))
        raise UnstorableResult(
            f"the result has a key of type {type(key).__name__} at {path}; JSON keys are strings"
        )

    def integer(self, number: int, path: str) -> int | str:
        if number.bit_length() < _SAFE_INT_BITS:
            return number
        try:
            int.__repr__(number)
        except ValueError:  # more digits than Python converts to text (sys.get_int_max_str_digits)
            bits = f"{number.bit_length():,} bits"
            self.note(path, f"integer of {bits} is too long for JSON; stored as a string")
            return f"{'-' if number < 0 else ''}<integer of {bits}>"
        return number

    def number(self, number: float, path: str) -> float | str:
        if math.isfinite(number):
            return number
        text = "NaN" if math.isnan(number) else "Infinity" if number > 0 else "-Infinity"
        self.note(path, f"{text} is not a JSON number; stored as the string {text!r}")
        return text

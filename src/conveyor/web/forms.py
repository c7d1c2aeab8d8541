"""Form input: read it, check it here first, and put the API's objections next to the fields."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from conveyor.client import ApiError


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str)}


def missing(values: dict[str, str], required: dict[str, str]) -> dict[str, str]:
    """A form's first errors: each required field left empty, with what to put there."""
    return {field: hint for field, hint in required.items() if not values.get(field)}


def parse_json_object(text: str, field: str, errors: dict[str, str]) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        errors[field] = f"not valid JSON: {exc}"
        return {}
    if not isinstance(value, dict):
        errors[field] = 'must be a JSON object, like {"key": "value"}'
        return {}
    return value


def parse_int(text: str, field: str, errors: dict[str, str], *, default: int | None = None) -> int | None:
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        errors[field] = "must be a whole number"
        return default


def api_field_errors(exc: ApiError, fields: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """Map the API's problem ``errors`` onto form fields.

    ``fields`` maps an API field path prefix (``job.payload``) to a form field (``payload``);
    the longest matching prefix wins. What matches no field is returned as a message for the
    whole form, so nothing the API said is lost.
    """
    errors: dict[str, str] = {}
    leftovers: list[str] = []
    for item in exc.problem.get("errors") or []:
        path = str(item.get("field", ""))
        message = str(item.get("message", ""))
        target = next(
            (
                fields[p]
                for p in sorted(fields, key=len, reverse=True)
                if path == p or path.startswith(p + ".")
            ),
            None,
        )
        if target and target not in errors:
            errors[target] = message if path in fields else f"{path}: {message}"
        elif not target:
            leftovers.append(f"{path}: {message}" if path else message)
    general = "; ".join(leftovers) or (None if errors else str(exc.problem.get("detail") or exc))
    return errors, general

"""Retiring parts of /api/v1 without breaking clients (RFC 9745 ``Deprecation``, RFC 8594 ``Sunset``).

A deprecated route or field keeps working until its sunset date; until then every response that
used it carries ``Deprecation`` (when it was deprecated), ``Sunset`` (when it stops working) and
a ``Link`` to its successor, and the OpenAPI document marks it ``deprecated``. The policy is in
docs/api.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

from fastapi import Response

# PATCH /api/v1/queues/{name} with "paused": replaced by POST .../pause and .../resume.
PAUSED_FIELD_DEPRECATED = datetime(2026, 11, 23, tzinfo=UTC)
PAUSED_FIELD_SUNSET = datetime(2027, 6, 30, tzinfo=UTC)


def announce_deprecation(
    response: Response, sunset: datetime, *, successor: str, deprecated: datetime = PAUSED_FIELD_DEPRECATED
) -> None:
    response.headers["Deprecation"] = f"@{int(deprecated.timestamp())}"
    response.headers["Sunset"] = format_datetime(sunset, usegmt=True)
    response.headers["Link"] = f'<{successor}>; rel="successor-version"'

"""Credentials inside ``http`` job payloads: which headers and query parameters count as one, and
the redacted view of a payload shown to those who may read jobs but not run them (ADR 0021).

A name counts as a credential when it contains one of CREDENTIAL_NAME_PARTS (``Authorization``,
``X-Api-Key``, ``Cookie``, ``access_token``, ...) or is listed in ``CONVEYOR_REDACT_HEADERS``.
Credentials in the URL's user-info part are refused at submission (as for webhooks); jobs
stored before that are shown without them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[redacted]"
CREDENTIAL_NAME_PARTS = (
    "auth",
    "token",
    "secret",
    "key",
    "password",
    "passwd",
    "session",
    "cookie",
    "signature",
    "credential",
)


class Redactor:
    def __init__(self, extra_names: Iterable[str] = ()) -> None:
        self.extra_names = frozenset(name.strip().lower() for name in extra_names if name.strip())

    def is_credential(self, name: str) -> bool:
        lowered = name.lower()
        return lowered in self.extra_names or any(part in lowered for part in CREDENTIAL_NAME_PARTS)

    def url(self, url: str) -> str:
        """The URL without user-info and with the values of credential-like query parameters
        replaced; unchanged (byte for byte) when it holds neither."""
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2]
        query = parts.query
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(self.is_credential(name) for name, _ in pairs):
            query = urlencode([(n, REDACTED if self.is_credential(n) else v) for n, v in pairs])
        if (netloc, query) == (parts.netloc, parts.query):
            return url
        return urlunsplit(parts._replace(netloc=netloc, query=query))

    def http_payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        """An ``http`` job's payload with credential header values and URL credentials hidden."""
        shown = dict(payload)
        if isinstance(payload.get("url"), str):
            shown["url"] = self.url(payload["url"])
        if isinstance(payload.get("headers"), dict):
            shown["headers"] = {
                name: REDACTED if self.is_credential(name) else value
                for name, value in payload["headers"].items()
            }
        return shown

    def payload(self, job_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload as a reader without access to credentials sees it. Only the built-in
        ``http`` type declares where its credentials are; other types' payloads are their own."""
        return self.http_payload(payload) if job_type == "http" else payload

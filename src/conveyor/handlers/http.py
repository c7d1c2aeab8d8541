"""The ``http`` job type: a request to any service, language-agnostic.

2xx (or the listed ``expected_statuses``) succeeds; 429, 5xx, timeouts and connection errors
retry, honouring ``Retry-After``; any other status fails without retry. Outbound addresses go
through the guard in ``outbound.py``.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from conveyor.handlers.credentials import Redactor
from conveyor.handlers.destinations import AllowList, OutboundUrl
from conveyor.handlers.outbound import OutboundRefused, guarded_client, send_following_redirects
from conveyor.handlers.registry import JobContext, JobError, PermanentError, Registry
from conveyor.settings import get_settings

registry = Registry()
RESULT_BODY_LIMIT = 64 * 1024
RETRYABLE_STATUSES = frozenset({408, 425, 429})
FORBIDDEN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


class HttpRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: OutboundUrl
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = Field(default=None, description="Sent as JSON when not null.")
    timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    expected_statuses: list[int] | None = Field(
        default=None, description="Statuses that count as success; default any 2xx."
    )

    @field_validator("headers")
    @classmethod
    def _safe_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not name or any(c in name for c in "\r\n:") or any(c in value for c in "\r\n"):
                raise ValueError(f"header {name!r} contains a line break or colon")
            if name.lower() in FORBIDDEN_HEADERS:
                raise ValueError(f"header {name!r} is set by Conveyor and cannot be overridden")
        return headers

    @field_validator("expected_statuses")
    @classmethod
    def _statuses(cls, statuses: list[int] | None) -> list[int] | None:
        if statuses is not None and any(not 100 <= s <= 599 for s in statuses):
            raise ValueError("statuses must be between 100 and 599")
        return statuses


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


async def send(
    request: HttpRequest, allow: AllowList, *, max_body_bytes: int, raw_body: bytes | None = None
) -> dict[str, Any]:
    """Send the request; ``raw_body`` (exact bytes, e.g. a signed webhook) replaces the JSON body."""
    async with guarded_client(allow, timeout=request.timeout_seconds) as client:
        outgoing = client.build_request(
            request.method,
            str(request.url),
            headers=request.headers,
            json=request.body if request.body is not None and raw_body is None else None,
            content=raw_body,
        )
        try:
            response = await send_following_redirects(client, outgoing, request.headers)
            try:
                # Read at most max_body_bytes: a huge or endless response cannot exhaust memory.
                raw = bytearray()
                async for chunk in response.aiter_bytes():
                    raw.extend(chunk[: max_body_bytes - len(raw)])
                    if len(raw) >= max_body_bytes:
                        break
            finally:
                await response.aclose()
        except OutboundRefused as exc:
            raise PermanentError(str(exc), kind="outbound_refused") from None
        except httpx.TooManyRedirects as exc:
            raise PermanentError(f"too many redirects: {exc}", kind="http_redirects") from None
        except httpx.TimeoutException:
            raise JobError(f"timed out after {request.timeout_seconds}s", kind="http_timeout") from None
        except httpx.TransportError as exc:
            raise JobError(f"connection failed: {exc}", kind="http_connection") from None

    status = response.status_code
    ok = status in request.expected_statuses if request.expected_statuses else 200 <= status < 300
    body = raw[:RESULT_BODY_LIMIT].decode(response.encoding or "utf-8", errors="replace")
    if ok:
        return {"status": status, "body": body}
    # Errors travel to job events, logs and webhook receivers: never with credentials in them.
    message = f"{request.method} {Redactor().url(str(request.url))} answered {status}"
    if status >= 500 or status in RETRYABLE_STATUSES:
        raise JobError(
            message,
            kind="http_status",
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    raise PermanentError(message, kind="http_status")


@registry.handler("http")
async def http(payload: HttpRequest, ctx: JobContext) -> dict[str, Any]:
    settings = get_settings()
    return await send(
        payload, AllowList(settings.http_allow_list), max_body_bytes=settings.http_max_response_bytes
    )

"""ASGI middleware: request ids, trace context, metrics per route template, body size limit.

Plain ASGI (not BaseHTTPMiddleware) to keep per-request overhead low on the hot API path.
"""

from __future__ import annotations

import json
import secrets
import time

import structlog
from opentelemetry import context, trace
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conveyor.store.audit import record_audit
from conveyor.telemetry import metrics
from conveyor.telemetry.tracing import context_from

log = structlog.get_logger("conveyor.api")
UNMATCHED_ROUTE = "<unmatched>"


class RequestTelemetry:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else secrets.token_hex(8)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        method = scope["method"]
        # FastAPI's own telemetry (outside this middleware) opens the server span when a tracer
        # provider is configured. Without one, attach the caller's context so that jobs still
        # carry the caller's trace.
        outer = trace.get_current_span().get_span_context().is_valid
        token = None if outer else context.attach(context_from(headers))
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if token is not None:
                context.detach(token)
            route = getattr(scope.get("route"), "path", UNMATCHED_ROUTE)
            elapsed = time.perf_counter() - started
            metrics.http_requests.labels(method, route, str(status)).inc()
            metrics.http_duration.labels(method, route).observe(elapsed)
            if status >= 500:
                log.error("request_failed", method=method, route=route, status=status)


class BodySizeLimit:
    """Refuse bodies over ``limit`` bytes with 413: at once when Content-Length says so, else
    (chunked bodies) as soon as the bytes read pass it, before they are all in memory."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await send_problem(
                send, scope, 413, "Content Too Large", BodyTooLarge(self.limit).detail, "too-large"
            )
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                # An HTTPException: FastAPI's body reader passes it on to the problem handlers
                # (any other exception there becomes a generic 400).
                raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, limited_receive, send)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over the {limit}-byte limit")


AUDITED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AuditTrail:
    """Record every successful change made through the API: who (user and key), what (method,
    route template, path parameters), when, from where, and the request id.

    Kept as middleware so that no route can forget it. Bodies are not recorded: they may hold
    passwords or payload secrets. Written before the response starts; a failed write is logged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in AUDITED_METHODS:
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Before the client hears of the change: an acknowledged change always has its
                # audit row, and a client reading the audit log next finds it there.
                await self._record(scope, message["status"])
            await send(message)

        await self.app(scope, receive, send_wrapper)

    async def _record(self, scope: Scope, status: int) -> None:
        principal = scope.get("state", {}).get("principal")
        if principal is None or status >= 400:
            return  # signing in has no principal yet; the session it creates is not a change
        route = getattr(scope.get("route"), "path", UNMATCHED_ROUTE)
        try:
            await record_audit(
                scope["app"].state.pool,
                user_id=principal.user_id,
                key_id=principal.key_id,
                action=f"{scope['method']} {route}",
                route=route,
                params=scope.get("path_params", {}),
                status=status,
                ip=(scope.get("client") or ("", 0))[0] or None,
                request_id=structlog.contextvars.get_contextvars().get("request_id"),
            )
        except Exception as exc:
            log.error("audit_write_failed", error=str(exc), route=route)


BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")


class JsonAndSecurityHeaders:
    """Refuse request bodies that are not JSON (415); add security and rate-limit headers.

    The strict content type blocks form posts from other sites (a CSRF vector for any future
    cookie auth) and content sniffing; the CSP is left off the interactive docs page, which
    needs scripts.
    """

    def __init__(self, app: ASGIApp, docs_path: str) -> None:
        self.app = app
        self.docs_path = docs_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        has_body = headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers
        if scope["method"] in BODY_METHODS and has_body:
            media_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if media_type != b"application/json" and not media_type.endswith(b"+json"):
                await send_problem(
                    send,
                    scope,
                    415,
                    "Unsupported Media Type",
                    "request bodies must be application/json",
                    "unsupported-media-type",
                )
                return
        extra = SECURITY_HEADERS if scope["path"].startswith(self.docs_path) else [*SECURITY_HEADERS, API_CSP]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).extend(extra)
                # Rate-limit state of the request, set by the auth dependency.
                limits = scope.get("state", {}).get("rate_limit_headers", {})
                present = {name for name, _ in message["headers"]}
                message["headers"].extend(
                    (k.lower().encode(), v.encode())
                    for k, v in limits.items()
                    if k.lower().encode() not in present
                )
            await send(message)

        await self.app(scope, receive, send_wrapper)


async def send_problem(send: Send, scope: Scope, status: int, title: str, detail: str, slug: str) -> None:
    body = {
        "type": f"urn:conveyor:problem:{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": scope["path"],
    }
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/problem+json")],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})

"""``Idempotency-Key`` for POST routes that create something (jobs have their own, on the job).

The first request with a key reserves it and runs; what it created is remembered as a
reference (its ids), never as the response: a response may carry a secret (an API key, a
webhook's signing secret) that must not rest in the database, and a stored copy goes stale. A
repeat with the same key, route and body is answered from the current state of what the first
request created (``Idempotent-Replayed: true``): a revoked key reads revoked, an API key's
secret (kept only as a hash) is ``null``, and what was deleted since is a 410. The same key
with a different request is a 422; a repeat while the first is still running is a 409. A
request that fails (4xx/5xx) frees its key. Keys are per user and kept for 24 hours. ADR 0020.
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import psycopg
import structlog
from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import Response
from psycopg.types.json import Jsonb
from psycopg_pool import PoolTimeout
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conveyor.api.deps import PoolDep, get_principal
from conveyor.api.problems import Problem
from conveyor.store.database import Pool, execute, fetch_one
from conveyor.store.queries import sql
from conveyor.store.users import Principal

log = structlog.get_logger("conveyor.api")
KEEP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Replay:
    """How a route answers a repeated key: what it remembers of its first response (``remember``,
    from the JSON body: ids, never secrets) and how it reads the current state of that
    (``current``; None when it no longer exists)."""

    noun: str
    current: Callable[[Request, Principal, Any], Awaitable[BaseModel | None]]
    remember: Callable[[Any], Any] = field(default=operator.itemgetter("id"))


class Replayed(Exception):
    def __init__(self, status: int, body: bytes, location: str | None) -> None:
        self.status = status
        self.body = body
        self.location = location


def _fingerprint(method: str, route: str, params: dict[str, Any], body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    material = json.dumps([method, route, params], sort_keys=True).encode() + b"\n" + canonical
    return hashlib.sha256(material).hexdigest()


def idempotent(replay: Replay) -> Any:
    """The dependency that makes a creating POST safe to retry with an ``Idempotency-Key``."""

    async def idempotency(
        request: Request,
        pool: PoolDep,
        principal: Annotated[Principal, Depends(get_principal)],
        idempotency_key: Annotated[
            str | None, Header(max_length=255, description="Makes a retried POST safe.")
        ] = None,
    ) -> None:
        if not idempotency_key:
            return
        route = getattr(request.scope.get("route"), "path", request.url.path)
        request_hash = _fingerprint(request.method, route, dict(request.path_params), await request.body())
        params = {
            "user_id": principal.user_id,
            "key": idempotency_key,
            "route": route,
            "request_hash": request_hash,
        }
        async with pool.connection() as conn:
            if await fetch_one(conn, sql("reserve_idempotency_key"), **params):
                request.state.idempotency = (principal.user_id, idempotency_key, replay)
                return
            row = await fetch_one(conn, sql("get_idempotent_request"), **params)
        if row is None:  # released by a failed first request a moment ago
            raise Problem(
                409,
                "a request with this Idempotency-Key just failed; retry",
                slug="conflict",
                headers={"Retry-After": "1"},
            )
        if row["route"] != route or row["request_hash"] != request_hash:
            raise Problem(
                422,
                "Idempotency-Key was used for a different request; use a new key",
                slug="idempotency-key-reused",
                errors=[{"field": "Idempotency-Key", "message": "used for a different request"}],
            )
        if row["status"] is None:
            raise Problem(
                409,
                "a request with this Idempotency-Key is still in progress",
                slug="conflict",
                headers={"Retry-After": "1"},
            )
        current = await replay.current(request, principal, row["created"])
        if current is None:
            raise Problem(
                410,
                f"the {replay.noun} this Idempotency-Key created no longer exists",
                slug="gone",
            )
        raise Replayed(row["status"], current.model_dump_json().encode(), row["location"])

    return Depends(idempotency)


def install(app: FastAPI) -> None:
    @app.exception_handler(Replayed)
    async def _replay(request: Request, exc: Replayed) -> Response:
        headers = {"Idempotent-Replayed": "true"}
        if exc.location:
            headers["Location"] = exc.location
        return Response(exc.body, status_code=exc.status, media_type="application/json", headers=headers)


class IdempotencyRecorder:
    """Remembers what a request that reserved an Idempotency-Key created, or frees the key.

    Settled before the last byte of the response leaves: a client that retries the moment it
    has the answer finds the outcome stored, not a request "still in progress". A request that
    ends in an exception frees its key too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        status, location, chunks, settled = 500, None, [], False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, location, settled
            reserved = scope.get("state", {}).get("idempotency")
            if reserved is not None and message["type"] == "http.response.start":
                status = message["status"]
                location = dict(message.get("headers", [])).get(b"location")
            elif reserved is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    settled = True
                    try:
                        await _settle(scope, reserved, status, location, b"".join(chunks))
                    except (psycopg.Error, PoolTimeout) as exc:
                        # The resource exists: answer anyway. The key stays "in progress" (409)
                        # until it expires, so a retry cannot create a second one.
                        log.error("idempotency_settle_failed", route=scope.get("path"), error=str(exc))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            reserved = scope.get("state", {}).get("idempotency")
            if reserved is not None and not settled:
                await _settle(scope, reserved, 500, None, b"")


async def _settle(
    scope: Scope, reserved: tuple[int, str, Replay], status: int, location: bytes | None, body: bytes
) -> None:
    user_id, key, replay = reserved
    created = None
    if status < 400:
        try:
            created = replay.remember(json.loads(body))
        except (ValueError, LookupError, TypeError) as exc:  # a route whose Replay does not fit
            log.error("idempotency_reference_failed", route=scope.get("path"), error=repr(exc))
    pool: Pool = scope["app"].state.pool
    if created is not None:
        await execute(
            pool,
            sql("store_idempotent_result"),
            user_id=user_id,
            key=key,
            status=status,
            created=Jsonb(created),
            location=location.decode() if location else None,
        )
    else:
        await execute(pool, sql("release_idempotency_key"), user_id=user_id, key=key)

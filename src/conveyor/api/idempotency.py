"""``Idempotency-Key`` for POST routes that create something (jobs have their own, on the job).

The first request with a key reserves it, runs, and its response is stored; a repeat with the
same key, route and body gets that response again (``Idempotent-Replayed: true``); the same key
with a different request is a 422; a repeat while the first is still running is a 409. A
request that fails (4xx/5xx) frees its key. Keys are per user and kept for 24 hours.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conveyor.api.deps import PoolDep, get_principal
from conveyor.api.problems import Problem
from conveyor.sqlfiles import Queries
from conveyor.store.database import Pool
from conveyor.store.users import Principal

sql = Queries(Path(__file__).parents[1] / "store" / "sql")
KEEP_SECONDS = 24 * 3600


class Replay(Exception):
    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row


def _fingerprint(method: str, route: str, params: dict[str, Any], body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    material = json.dumps([method, route, params], sort_keys=True).encode() + b"\n" + canonical
    return hashlib.sha256(material).hexdigest()


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
        if await (await conn.execute(sql("reserve_idempotency_key"), params)).fetchone():
            request.state.idempotency = (principal.user_id, idempotency_key)
            return
        row = await (await conn.execute(sql("get_idempotent_request"), params)).fetchone()
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
    raise Replay(row)


Idempotent = Annotated[None, Depends(idempotency)]


def install(app: FastAPI) -> None:
    @app.exception_handler(Replay)
    async def _replay(request: Request, exc: Replay) -> Response:
        headers = {"Idempotent-Replayed": "true"}
        if exc.row["location"]:
            headers["Location"] = exc.row["location"]
        return Response(
            bytes(exc.row["response_body"] or b""),
            status_code=exc.row["status"],
            media_type="application/json",
            headers=headers,
        )


class IdempotencyRecorder:
    """Stores the response of a request that reserved an Idempotency-Key (or frees the key)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        status, location, chunks = 500, None, []

        async def send_wrapper(message: Message) -> None:
            nonlocal status, location
            if message["type"] == "http.response.start":
                status = message["status"]
                location = dict(message.get("headers", [])).get(b"location")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, send_wrapper)
        reserved = scope.get("state", {}).get("idempotency")
        if reserved is None:
            return
        user_id, key = reserved
        pool: Pool = scope["app"].state.pool
        async with pool.connection() as conn:
            if status < 400:
                await conn.execute(
                    sql("store_idempotent_response"),
                    {
                        "user_id": user_id,
                        "key": key,
                        "status": status,
                        "body": b"".join(chunks),
                        "location": location.decode() if location else None,
                    },
                )
            else:
                await conn.execute(sql("release_idempotency_key"), {"user_id": user_id, "key": key})

"""Conditional GETs: a representation's ETag, and 304 Not Modified when the client's
If-None-Match names it. A poller (a CLI `--watch`, the console's live job view, a script waiting
for a job to end) then gets an empty 304 instead of the whole job each time.

The ETag is the hash of the exact JSON the caller would receive — after redaction for their
role — so two callers who see different bodies never share a tag. Responses keep
``Cache-Control: no-store`` (payloads may carry credentials): no shared or browser cache keeps
them; only the client itself holds the body it revalidates.
"""

from __future__ import annotations

import hashlib

from fastapi import Request, Response
from pydantic import BaseModel

JSON = "application/json"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str, tag: str) -> bool:
    candidates = {c.strip().removeprefix("W/") for c in if_none_match.split(",")}
    return "*" in candidates or tag in candidates


def conditional(request: Request, model: BaseModel) -> Response:
    """``model`` as JSON with its ETag, or 304 when the client already has this representation."""
    body = model.model_dump_json().encode()
    tag = etag_of(body)
    if _matches(request.headers.get("if-none-match", ""), tag):
        return Response(status_code=304, headers={"ETag": tag})
    return Response(content=body, media_type=JSON, headers={"ETag": tag})

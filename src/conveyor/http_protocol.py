"""uvicorn's HTTP/1.1 protocol (h11), answering requests it cannot parse with problem+json.

A request h11 refuses before the application sees it — a header section over
``MAX_HEADER_BYTES`` (431), a NUL or other illegal byte in a header, a malformed request line
(400) — would otherwise get uvicorn's plain-text "Invalid HTTP request received.". This keeps
uvicorn's handling (log, answer, close) and only says it the way every other error is said,
with the status h11 suggests.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

# h11's own default: the most bytes of a request line and headers it buffers while waiting for
# their end. Named here because the 431 answer quotes it.
MAX_HEADER_BYTES = 16 * 1024
PROBLEM_SLUGS = {431: "headers-too-large", 400: "malformed-request"}


class _RememberingConnection(h11.Connection):
    """An h11 connection that keeps the protocol error it raised, for the answer."""

    refusal: h11.RemoteProtocolError | None = None

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.refusal = exc
            raise


class ProblemH11Protocol(H11Protocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.conn = _RememberingConnection(h11.SERVER, MAX_HEADER_BYTES)

    def send_400_response(self, msg: str) -> None:
        refusal = getattr(self.conn, "refusal", None)
        status = refusal.error_status_hint if refusal is not None else 400
        if status == 431:
            detail = f"request line and headers over the {MAX_HEADER_BYTES}-byte limit"
        else:
            # h11's reason without the offending bytes it quotes (they may be a credential).
            detail = f"malformed HTTP request: {str(refusal or msg).split(':')[0]}"
        body = json.dumps(
            {
                "type": f"urn:conveyor:problem:{PROBLEM_SLUGS.get(status, 'malformed-request')}",
                "title": HTTPStatus(status).phrase,
                "status": status,
                "detail": detail,
            }
        ).encode()
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=status, headers=headers, reason=HTTPStatus(status).phrase),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()

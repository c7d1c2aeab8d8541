"""Probes every process serves.

- ``/livez``: the process is up and its event loop answers. Never checks dependencies, so a
  database outage does not make an orchestrator restart every replica.
- ``/readyz``: the process can do its work now (database reachable, schema current, not
  shutting down). Failing readiness takes a replica out of rotation; it does not restart it.
- ``/metrics``: Prometheus exposition.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

ReadinessCheck = Callable[[], Awaitable[None]]


def probes_router(ready: ReadinessCheck) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        try:
            await ready()
        except Exception as exc:
            return JSONResponse(
                {"status": "unavailable", "detail": str(exc) or type(exc).__name__},
                status_code=503,
                headers={"Retry-After": "5"},
            )
        return JSONResponse({"status": "ok"})

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def probes_app(ready: ReadinessCheck) -> FastAPI:
    """The whole HTTP surface of the worker and scheduler processes."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.include_router(probes_router(ready))
    return app

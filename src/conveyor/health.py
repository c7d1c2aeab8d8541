"""Probes every process serves.

- ``/livez``: the process is up and its event loop answers. Never checks dependencies, so a
  database outage does not make an orchestrator restart every replica.
- ``/readyz``: the process can do its work now (database reachable, schema current, not
  shutting down). Failing readiness takes a replica out of rotation; it does not restart it.
- ``/metrics``: Prometheus exposition. Each scrape runs the readiness check first and exports
  its result as ``conveyor_ready``, so alerting sees a database outage from every process
  without anyone polling ``/readyz``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from conveyor.telemetry import metrics as conveyor_metrics

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
        try:
            await ready()
        except Exception:
            conveyor_metrics.ready.set(0)
        else:
            conveyor_metrics.ready.set(1)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def probes_app(ready: ReadinessCheck) -> FastAPI:
    """The whole HTTP surface of the worker and scheduler processes."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.include_router(probes_router(ready))
    return app

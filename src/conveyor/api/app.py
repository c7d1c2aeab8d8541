"""The API process: FastAPI app factory and its lifespan (database, engine services)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from conveyor import __version__
from conveyor.api import API_PREFIX, idempotency, problems
from conveyor.api.cache import ResponseCache
from conveyor.api.middleware import AuditTrail, BodySizeLimit, JsonAndSecurityHeaders, RequestTelemetry
from conveyor.api.params import storable_query
from conveyor.api.ratelimit import RateLimiter
from conveyor.api.routes import (
    analytics,
    dead_letter,
    jobs,
    queues,
    schedules,
    sessions,
    users,
    webhooks,
    workers,
)
from conveyor.engine.jobs import EngineDefaults, Jobs
from conveyor.engine.queues import Queues
from conveyor.engine.schedules import Schedules
from conveyor.handlers import discover
from conveyor.health import probes_router
from conveyor.settings import Settings
from conveyor.store import migrate
from conveyor.store.database import check_database, open_pool
from conveyor.store.migrate import startup_schema_check

MAX_REQUEST_BYTES = 10 * 1024 * 1024
DOCS_URL = "/api/docs"


def create_app(settings: Settings, database_url: str) -> FastAPI:
    """Build the API. Refuses to start (raises SchemaNotReady) on an unmigrated database."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        startup_schema_check(database_url)
        pool = await open_pool(
            database_url,
            size=settings.database_pool_size,
            name="conveyor-api",
            timeout=settings.database_timeout,
            prepared_statements=settings.database_prepared_statements,
        )
        registry = discover()
        app.state.settings = settings
        app.state.pool = pool
        app.state.rate_limiter = RateLimiter(settings.rate_limit, settings.redis_url)
        app.state.login_limiter = RateLimiter(sessions.LOGIN_LIMIT, settings.redis_url)
        app.state.auth_failure_limiter = RateLimiter(settings.auth_failure_limit, settings.redis_url)
        app.state.analytics_cache = ResponseCache(settings.analytics_cache_seconds, settings.redis_url)
        app.state.jobs = Jobs(pool, registry, EngineDefaults.from_settings(settings))
        app.state.queues = Queues(pool, notify=settings.listen_notify)
        app.state.schedules = Schedules(
            app.state.jobs,
            misfire_grace=settings.misfire_grace_seconds,
            max_per_user=settings.max_schedules_per_user,
        )
        try:
            yield
        finally:
            await app.state.analytics_cache.close()
            await pool.close()

    app = FastAPI(
        title="Conveyor API",
        version=__version__,
        description="Jobs, schedules and queues on PostgreSQL. Errors are RFC 9457 problem+json.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=DOCS_URL,
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(storable_query)],
        # Server spans from FastAPI, on the provider telemetry/tracing.py configures; metrics
        # stay in Prometheus and logs in structlog, so those parts are off.
        telemetry={"auto_configure": False, "metrics": False, "logs": False},
    )

    async def ready() -> None:
        await check_database(app.state.pool, migrate.head_revision())

    problems.install(app)
    idempotency.install(app)
    app.include_router(probes_router(ready))
    app.include_router(jobs.router)
    app.include_router(dead_letter.router)
    app.include_router(queues.router)
    app.include_router(workers.router)
    app.include_router(schedules.router)
    app.include_router(users.router)
    app.include_router(webhooks.router)
    app.include_router(analytics.router)
    app.include_router(sessions.router)
    app.add_middleware(idempotency.IdempotencyRecorder)
    app.add_middleware(AuditTrail)
    app.add_middleware(BodySizeLimit, limit=MAX_REQUEST_BYTES)
    app.add_middleware(JsonAndSecurityHeaders, docs_path=DOCS_URL)
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_credentials=False,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "traceparent"],
            expose_headers=[
                "Location",
                "Retry-After",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "X-Request-Id",
            ],
        )
    app.add_middleware(RequestTelemetry)
    return app

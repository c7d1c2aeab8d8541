"""Entry points of the long-running processes: api, web, worker, scheduler.

Each serves /livez, /readyz and /metrics on its own port, logs JSON lines, exports traces
when OTEL_EXPORTER_OTLP_ENDPOINT is set, and shuts down gracefully on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import structlog
import uvicorn
from starlette.types import ASGIApp

from conveyor import flags
from conveyor.api.app import create_app
from conveyor.engine.jobs import EngineDefaults, Jobs
from conveyor.engine.maintenance import Leadership, Maintenance, MaintenanceConfig
from conveyor.engine.scheduler import scheduler_loop
from conveyor.engine.schedules import Schedules
from conveyor.engine.worker import Worker, WorkerConfig, new_worker_id
from conveyor.handlers import discover
from conveyor.health import probes_app
from conveyor.http_protocol import ProblemH11Protocol
from conveyor.settings import Settings
from conveyor.store import migrate
from conveyor.store.database import Pool, check_database, database_url, open_pool
from conveyor.telemetry.logging import configure_logging
from conveyor.telemetry.tracing import configure_tracing

log = structlog.get_logger("conveyor")


def _setup(service: str, settings: Settings) -> str:
    configure_logging(service, settings.log_level)
    configure_tracing(service)
    flags.configure(settings.flags_file)
    url = database_url(settings)
    migrate.startup_schema_check(url)
    return url


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the process's main loop owns the signals
    (uvicorn's would re-raise SIGTERM after shutdown, turning a clean exit into exit 143)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _on_stop_signals(callback: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, callback)


def _serve_http(
    app: ASGIApp,
    host: str,
    port: int,
    *,
    grace: int,
    access_log: bool = True,
    trusted_proxies: list[str] | None = None,
    tls: tuple[Path, Path] | None = None,
) -> bool:
    """Serve an ASGI app until SIGTERM/SIGINT; False if it never started (lifespan failed,
    and uvicorn has logged why). The client address is the TCP peer, or, when the peer is one
    of ``trusted_proxies``, the client its X-Forwarded-For names."""
    server = _Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            access_log=access_log,
            proxy_headers=bool(trusted_proxies),
            forwarded_allow_ips=trusted_proxies or None,
            server_header=False,
            timeout_graceful_shutdown=grace,
            # Requests uvicorn cannot parse are answered in problem+json like every other error.
            http=ProblemH11Protocol,
            ssl_certfile=tls[0] if tls else None,
            ssl_keyfile=tls[1] if tls else None,
        )
    )

    async def serve() -> None:
        _on_stop_signals(lambda: setattr(server, "should_exit", True))
        await server.serve()

    asyncio.run(serve())
    return bool(server.started)


def _tls(settings: Settings) -> tuple[Path, Path] | None:
    if settings.tls_cert_file and settings.tls_key_file:
        return settings.tls_cert_file, settings.tls_key_file
    return None


def run_api(settings: Settings, port: int, host: str) -> None:
    url = _setup("api", settings)
    log.info("api_starting", port=port, host=host)
    app = create_app(settings, url)
    if not _serve_http(
        app, host, port, grace=20, trusted_proxies=settings.trusted_proxy_list, tls=_tls(settings)
    ):
        raise SystemExit(3)
    log.info("api_exited")


def run_web(settings: Settings, port: int, host: str) -> None:
    """The console: no database of its own, only the API at CONVEYOR_API_URL."""
    from conveyor.web.app import create_web_app

    configure_logging("web", settings.log_level)
    configure_tracing("web")
    flags.configure(settings.flags_file)
    log.info("web_starting", port=port, host=host, api_url=settings.api_url)
    _serve_http(create_web_app(settings), host, port, grace=10, access_log=False, tls=_tls(settings))
    log.info("web_exited")


async def _serve(
    service: str,
    settings: Settings,
    url: str,
    port: int,
    host: str,
    body: Callable[[Pool, asyncio.Event], Awaitable[None]],
    problem: Callable[[], str | None] = lambda: None,
) -> None:
    """Run ``body`` with a pool, serving the probes; ``problem`` adds the process's own
    readiness to the database check (a reason it cannot work, or None)."""
    stop = asyncio.Event()
    _on_stop_signals(stop.set)
    pool = await open_pool(
        url,
        size=min(settings.database_pool_size, 10),
        name=f"conveyor-{service}",
        timeout=settings.database_timeout,
        prepared_statements=settings.database_prepared_statements,
    )
    expected = migrate.head_revision()

    async def ready() -> None:
        if stop.is_set():
            raise RuntimeError("shutting down")
        await check_database(pool, expected)
        if reason := problem():
            raise RuntimeError(reason)

    server = _Server(
        uvicorn.Config(probes_app(ready), host=host, port=port, log_config=None, access_log=False)
    )
    probe = asyncio.create_task(server.serve())
    try:
        await body(pool, stop)
    finally:
        server.should_exit = True
        await probe
        await pool.close()
        log.info(f"{service}_exited")


def run_worker(settings: Settings, port: int, host: str) -> None:
    url = _setup("worker", settings)
    config = WorkerConfig(
        queues=settings.queues,
        concurrency=settings.worker_concurrency,
        batch_size=settings.worker_batch_size,
        poll_interval=settings.worker_poll_interval,
        lease_seconds=settings.worker_lease_seconds,
        shutdown_grace=settings.worker_shutdown_grace,
        backoff_base=settings.backoff_base_seconds,
        backoff_max=settings.backoff_max_seconds,
        listen_url=url if settings.listen_notify else None,
    )
    registry = discover()
    workers: list[Worker] = []  # the one this process runs, once its pool is open

    async def body(pool: Pool, stop: asyncio.Event) -> None:
        workers.append(Worker(pool, registry, config))
        await workers[0].run(stop)

    def problem() -> str | None:
        return workers[0].readiness_problem() if workers else None

    asyncio.run(_serve("worker", settings, url, port, host, body, problem))


def run_scheduler(settings: Settings, port: int, host: str) -> None:
    url = _setup("scheduler", settings)
    holder = new_worker_id()

    async def body(pool: Pool, stop: asyncio.Event) -> None:
        jobs = Jobs(pool, discover(), EngineDefaults.from_settings(settings))
        schedules = Schedules(jobs, misfire_grace=settings.misfire_grace_seconds)
        leadership = Leadership(pool, holder, ttl_seconds=max(10.0, settings.scheduler_tick_seconds * 5))
        maintenance = Maintenance(
            pool,
            MaintenanceConfig(
                retention_succeeded=settings.retention_succeeded,
                retention_failed=settings.retention_failed,
                retention_audit=settings.retention_audit,
                notify=settings.listen_notify,
            ),
        )
        await scheduler_loop(schedules, leadership, maintenance, stop, tick=settings.scheduler_tick_seconds)
        with contextlib.suppress(Exception):
            await leadership.resign()

    log.info("scheduler_starting", holder=holder)
    asyncio.run(_serve("scheduler", settings, url, port, host, body))

"""Fixtures: a real PostgreSQL (embedded by default, or CONVEYOR_TEST_DATABASE_URL), a clean
schema per test, the engine services, and real ``conveyor`` processes."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from scripts.redis_server import RedisError, start_redis

from conveyor.engine.jobs import EngineDefaults, Jobs
from conveyor.engine.queues import Queues
from conveyor.engine.schedules import Schedules
from conveyor.factories import user_with_key
from conveyor.handlers import Registry, discover
from conveyor.settings import load_settings
from conveyor.store import migrate
from conveyor.store.database import Pool, open_pool
from conveyor.store.users import Role
from tests.support import Process, free_port, process_env, stop_all

TABLES = (
    "jobs",
    "workers",
    "job_events",
    "schedules",
    "queues",
    "leaders",
    "api_keys",
    "users",
    "audit_log",
    "webhook_endpoints",
    "sessions",
    "oidc_logins",
    "idempotent_requests",
)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("CONVEYOR_TEST_DATABASE_URL")
    if not url:
        import pgserver.postgres_server

        server = pgserver.postgres_server.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
        url = server.get_uri()
    migrate.upgrade(url)
    return url


def truncate(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("TRUNCATE " + ", ".join(f"conveyor.{t}" for t in TABLES) + " RESTART IDENTITY CASCADE")


@pytest.fixture
def clean_db(database_url: str) -> str:
    truncate(database_url)
    return database_url


@pytest.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator[Pool]:
    pool = await open_pool(database_url, size=10, name="conveyor-tests")
    await pool.wait()
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
def registry() -> Registry:
    return discover()


@pytest.fixture
def defaults() -> EngineDefaults:
    return EngineDefaults.from_settings(load_settings(env="test"))


@pytest.fixture
def jobs(pool: Pool, registry: Registry, defaults: EngineDefaults, clean_db: str) -> Jobs:
    return Jobs(pool, registry, defaults)


@pytest.fixture
def queues(pool: Pool, defaults: EngineDefaults, clean_db: str) -> Queues:
    return Queues(pool, notify=defaults.notify)


@pytest.fixture
def schedules(jobs: Jobs) -> Schedules:
    return Schedules(jobs, misfire_grace=60)


@pytest.fixture
async def admin_key(pool: Pool, clean_db: str) -> str:
    return await issue_key(pool, "admin@example.com", "admin")


async def issue_key(pool: Pool, email: str, role: Role) -> str:
    """A new API key (named ``test``) for the user with this email, created with ``role`` if missing."""
    _, key = await user_with_key(pool, email, role, "test")
    return key


class Spawner:
    """Starts real ``conveyor <command>`` processes on the tests' database, logging into
    ``logs``; ``stop`` ends them all."""

    def __init__(self, database_url: str, logs: Path) -> None:
        self.database_url = database_url
        self.logs = logs
        self.started: list[Process] = []

    def __call__(
        self,
        command: str,
        *,
        env: dict[str, str] | None = None,
        port: int | None = None,
        args: list[str] | None = None,
    ) -> Process:
        port = port or free_port()
        name = f"{command}-{len(self.started)}"
        proc = Process(
            [command, "--port", str(port), *(args or [])],
            process_env(self.database_url, **(env or {})),
            self.logs / f"{name}.log",
            port=port,
        ).start()
        self.started.append(proc)
        return proc

    def stop(self) -> None:
        stop_all(self.started)


@pytest.fixture
def spawn(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Process]]:
    """Start real ``conveyor <command>`` processes; all are stopped after the test."""
    spawner = Spawner(database_url, tmp_path)
    yield spawner
    spawner.stop()


@pytest.fixture(scope="module")
def spawn_for_module(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Process]]:
    """``spawn`` for processes a whole module shares (its tests empty the database between them,
    as with ``api_server``); all are stopped after the module."""
    spawner = Spawner(database_url, tmp_path_factory.mktemp("processes"))
    yield spawner
    spawner.stop()


@pytest.fixture(scope="session")
def api_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """One real API process for the whole session (tests create their own keys)."""
    port = free_port()
    proc = Process(
        ["api", "--port", str(port)],
        process_env(
            database_url,
            CONVEYOR_DATABASE_TIMEOUT="2",
            CONVEYOR_RATE_LIMIT="10000/second",
            # Every test calls from 127.0.0.1, and many check refusals of bad credentials.
            CONVEYOR_AUTH_FAILURE_LIMIT="10000/second",
            # Tests empty the database between them; a cached answer would outlive its data.
            CONVEYOR_ANALYTICS_CACHE_SECONDS="0",
        ),
        tmp_path_factory.mktemp("api") / "api.log",
        port=port,
    ).start()
    proc.wait_ready()
    yield proc
    proc.stop()


def job_counts(database_url: str) -> dict[str, Any]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT state, count(*) FROM conveyor.jobs GROUP BY state").fetchall()
    return dict(rows)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server on a free loopback port (installed by `make test-deps`)."""
    try:
        server = start_redis(tmp_path_factory.mktemp("redis"), free_port())
    except RedisError as exc:
        pytest.fail(str(exc))
    yield server.url
    server.stop()

"""The systems under test, as the harness sees them: how to set one up, start its workers,
enqueue into it, purge it and ask whether it has finished.

The worker side of each lives in ``systems/<name>_sys.py`` and runs in the system's own
environment: Conveyor from the project's ``.venv`` exactly as locked, the peers from
``bench/.venv`` (pinned in ``bench/pyproject.toml``, locked in ``bench/uv.lock``).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from harness import (
    BENCH,
    BENCH_PYTHON,
    PROJECT_PYTHON,
    BenchError,
    Postgres,
    Proc,
    Redis,
    free_port,
    spawn,
    wait_until,
)

SYSTEMS_DIR = BENCH / "systems"


@dataclass
class Budget:
    """The same worker budget for every system."""

    processes: int = 2
    slots: int = 50  # concurrent jobs per process (tasks, threads or greenlets, as the system does it)

    @property
    def total(self) -> int:
        return self.processes * self.slots


@dataclass
class Context:
    pg: Postgres
    redis: Redis | None
    run_dir: Path
    budget: Budget


@dataclass
class System:
    name: str = ""
    label: str = ""
    backend: str = ""  # postgresql | redis
    python: Path = BENCH_PYTHON
    notes: list[str] = field(default_factory=list)
    ctx: Context | None = None

    # -- what subclasses provide --
    def setup(self, ctx: Context) -> None:
        self.ctx = ctx

    def env(self) -> dict[str, str]:
        return {}

    def worker_env(self, index: int) -> dict[str, str]:
        return self.env()

    def purge(self) -> None:
        raise NotImplementedError

    def outstanding(self) -> int:
        """Jobs the system still holds as not finished (queued, running, unacknowledged)."""
        raise NotImplementedError

    def versions(self) -> dict[str, str]:
        return {}

    def settings(self) -> dict[str, Any]:
        return {}

    # -- common --
    @property
    def script(self) -> Path:
        return SYSTEMS_DIR / f"{self.name.split('-')[0]}_sys.py"  # conveyor-api: conveyor_sys.py

    def argv(self, *args: Any) -> list[str]:
        return [str(self.python), str(self.script), *(str(a) for a in args)]

    def worker_argv(self, index: int) -> list[str]:
        assert self.ctx
        return self.argv("worker", "--slots", self.ctx.budget.slots)

    def enqueue_argv(self, jobs: int) -> list[str]:
        return self.argv("enqueue", "--jobs", jobs)

    def produce_argv(self, rate: float, seconds: float) -> list[str]:
        return self.argv("produce", "--rate", f"{rate:.1f}", "--seconds", seconds)


def _pg_scalar(url: str, query: str) -> Any:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
        return row[0] if row else None


def _pg_exec(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


class _PgCounter:
    """Keeps one connection open for the frequent 'finished yet?' checks."""

    def __init__(self, url: str, query: str) -> None:
        self.url, self.query, self.conn = url, query, None

    def __call__(self) -> int:
        import psycopg

        if self.conn is None:
            self.conn = psycopg.connect(self.url, autocommit=True)
        row = self.conn.execute(self.query).fetchone()  # type: ignore[attr-defined]
        return int(row[0]) if row else 0


# -- Conveyor -----------------------------------------------------------------------------------


class Conveyor(System):
    """Conveyor's engine: the real ``conveyor worker`` processes, jobs enqueued by ``Jobs.enqueue``."""

    def __init__(self) -> None:
        super().__init__(
            name="conveyor",
            label="Conveyor (engine)",
            backend="postgresql",
            python=PROJECT_PYTHON,
        )
        self.url = ""
        self.batch_size = 50

    def setup(self, ctx: Context) -> None:
        super().setup(ctx)
        self.url = ctx.pg.create_database("conveyor")
        subprocess.run(
            [str(PROJECT_PYTHON), "-m", "conveyor", "migrate"],
            env={**self._base_env()},
            check=True,
            capture_output=True,
        )
        self._count = _PgCounter(
            self.url,
            "SELECT count(*) FROM conveyor.jobs WHERE state IN ('scheduled', 'queued', 'running', 'retrying')",
        )

    def _base_env(self) -> dict[str, str]:
        import os

        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "CONVEYOR_DATABASE_URL": self.url,
            "CONVEYOR_HOME": str(self.ctx.run_dir / "conveyor-home") if self.ctx else ".conveyor",
        }

    def env(self) -> dict[str, str]:
        return self._base_env()

    def worker_env(self, index: int) -> dict[str, str]:
        assert self.ctx
        return {
            **self._base_env(),
            "CONVEYOR_WORKER_QUEUES": "default",
            "CONVEYOR_WORKER_CONCURRENCY": str(self.ctx.budget.slots),
            "CONVEYOR_WORKER_BATCH_SIZE": str(self.batch_size),
            "CONVEYOR_WORKER_PORT": str(free_port()),
        }

    def worker_argv(self, index: int) -> list[str]:
        return self.argv("worker")

    def purge(self) -> None:
        _pg_exec(self.url, "TRUNCATE conveyor.jobs, conveyor.job_events", "VACUUM ANALYZE conveyor.jobs")

    def outstanding(self) -> int:
        return self._count()

    def versions(self) -> dict[str, str]:
        out = subprocess.run(
            [
                str(PROJECT_PYTHON),
                "-c",
                "from importlib.metadata import version as v;"
                "print(v('conveyor'), v('psycopg'), v('psycopg-pool'), v('uvicorn'), v('fastapi'))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        return dict(zip(["conveyor", "psycopg", "psycopg-pool", "uvicorn", "fastapi"], out, strict=True))

    def settings(self) -> dict[str, Any]:
        assert self.ctx
        return {
            "worker": "conveyor worker (real process), default settings except below",
            "CONVEYOR_WORKER_CONCURRENCY": self.ctx.budget.slots,
            "CONVEYOR_WORKER_BATCH_SIZE": self.batch_size,
            "listen_notify": True,
            "completion": "batched UPDATE, job kept with state succeeded, one event row per transition",
        }


class ConveyorAPI(Conveyor):
    """Conveyor through its HTTP API: a ``conveyor api`` process in front of the same engine."""

    def __init__(self) -> None:
        super().__init__()
        self.name = "conveyor-api"
        self.label = "Conveyor (HTTP API)"
        self.api: Proc | None = None
        self.api_url = ""
        self.key = ""

    def setup(self, ctx: Context) -> None:
        System.setup(self, ctx)
        self.url = ctx.pg.create_database("conveyor_api")
        env = self._base_env()
        subprocess.run(
            [str(PROJECT_PYTHON), "-m", "conveyor", "migrate"], env=env, check=True, capture_output=True
        )
        self.key = (
            subprocess.run(
                [
                    str(PROJECT_PYTHON),
                    "-m",
                    "conveyor",
                    "admin",
                    "create-key",
                    "--email",
                    "bench@example.com",
                    "--role",
                    "admin",
                    "--name",
                    "bench",
                ],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        self._count = _PgCounter(
            self.url,
            "SELECT count(*) FROM conveyor.jobs WHERE state IN ('scheduled', 'queued', 'running', 'retrying')",
        )

    def start_api(self) -> None:
        assert self.ctx
        import httpx

        port = free_port()
        self.api_url = f"http://127.0.0.1:{port}"
        env = {
            **self._base_env(),
            # One client key at hundreds of requests per second: the per-key limit must not bind.
            "CONVEYOR_RATE_LIMIT": "1000000/second",
        }
        self.api = spawn(
            "conveyor-api-server",
            [str(PROJECT_PYTHON), "-m", "conveyor", "api", "--port", port],
            env,
            self.ctx.run_dir / "logs",
        )

        def ready() -> bool:
            if self.api is None or not self.api.alive():
                raise BenchError(f"conveyor api exited:\n{self.api.tail() if self.api else ''}")
            try:
                return httpx.get(f"{self.api_url}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(ready, 60, 0.1, "conveyor api to be ready")

    def stop_api(self) -> None:
        if self.api:
            self.api.stop()
            self.api = None

    def env(self) -> dict[str, str]:
        return {**self._base_env(), "BENCH_API_KEY": self.key}

    def submit_argv(self, jobs: int, batch: int, clients: int) -> list[str]:
        return self.argv(
            "api-submit",
            "--url",
            self.api_url,
            "--jobs",
            jobs,
            "--batch",
            batch,
            "--clients",
            clients,
            "--stamp",
        )


# -- peers on PostgreSQL -------------------------------------------------------------------------


class PgPeer(System):
    database = ""
    unfinished = ""
    tables: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()

    def setup(self, ctx: Context) -> None:
        super().setup(ctx)
        self.url = ctx.pg.create_database(self.database)
        subprocess.run(self.argv("schema"), env=self.env(), check=True, capture_output=True)
        self._count = _PgCounter(self.url, self.unfinished)

    def env(self) -> dict[str, str]:
        return {"BENCH_PG_URL": self.url}

    def purge(self) -> None:
        _pg_exec(self.url, f"TRUNCATE {', '.join(self.tables)} CASCADE", f"VACUUM ANALYZE {self.tables[0]}")

    def outstanding(self) -> int:
        return self._count()

    def versions(self) -> dict[str, str]:
        return versions_of(*self.packages)


class Procrastinate(PgPeer):
    database = "procrastinate"
    unfinished = "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
    tables = ("procrastinate_jobs", "procrastinate_events", "procrastinate_periodic_defers")
    packages = ("procrastinate", "psycopg", "psycopg-pool")

    def __init__(self) -> None:
        super().__init__(name="procrastinate", label="procrastinate", backend="postgresql")

    def settings(self) -> dict[str, Any]:
        assert self.ctx
        return {
            "concurrency": self.ctx.budget.slots,
            "listen_notify": True,
            "delete_jobs": "never (default)",
            "pool": "psycopg_pool, 4-10 connections",
        }


class PgQueuer(PgPeer):
    database = "pgqueuer"
    unfinished = "SELECT count(*) FROM pgqueuer"
    tables = ("pgqueuer", "pgqueuer_log", "pgqueuer_statistics")
    packages = ("pgqueuer", "asyncpg")

    def __init__(self) -> None:
        super().__init__(name="pgqueuer", label="PgQueuer", backend="postgresql")

    def settings(self) -> dict[str, Any]:
        assert self.ctx
        return {
            "max_concurrent_tasks": self.ctx.budget.slots,
            "batch_size": max(1, self.ctx.budget.slots // 2),
            "driver": "asyncpg",
            "completion": "delete + log row (its design)",
            "durability": "durable (default)",
        }


# -- peers on Redis ------------------------------------------------------------------------------


class RedisPeer(System):
    packages: tuple[str, ...] = ()

    def env(self) -> dict[str, str]:
        assert self.ctx
        assert self.ctx.redis
        return {"BENCH_REDIS_URL": self.ctx.redis.url}

    def setup(self, ctx: Context) -> None:
        super().setup(ctx)
        assert ctx.redis
        self.redis = ctx.redis.client()

    def purge(self) -> None:
        self.redis.flushall()

    def versions(self) -> dict[str, str]:
        return versions_of(*self.packages, "redis")


class Celery(RedisPeer):
    packages = ("celery", "kombu")

    def __init__(self) -> None:
        super().__init__(name="celery", label="Celery", backend="redis")

    def outstanding(self) -> int:
        # Not the "unacked" hash: with early acknowledgement kombu clears it lazily, about a
        # second after the last job ran, which is bookkeeping rather than work left.
        return int(self.redis.llen("celery"))

    def settings(self) -> dict[str, Any]:
        assert self.ctx
        return {"pool": "threads", "concurrency": self.ctx.budget.slots, "acks": "early (default)"}


class RQ(RedisPeer):
    packages = ("rq",)

    def __init__(self) -> None:
        super().__init__(name="rq", label="RQ", backend="redis")

    def outstanding(self) -> int:
        return int(self.redis.llen("rq:queue:default")) + int(self.redis.zcard("rq:wip:default"))

    def settings(self) -> dict[str, Any]:
        return {"worker": "rq.Worker (default: forks a work horse per job)", "jobs_at_once_per_process": 1}


class Arq(RedisPeer):
    packages = ("arq",)

    def __init__(self) -> None:
        super().__init__(name="arq", label="arq", backend="redis")

    def outstanding(self) -> int:
        in_progress = sum(1 for _ in self.redis.scan_iter("arq:in-progress:*", count=1000))
        return int(self.redis.zcard("arq:queue")) + in_progress

    def settings(self) -> dict[str, Any]:
        assert self.ctx
        return {"max_jobs": self.ctx.budget.slots, "poll_delay": "0.5 s (default)"}


class Dramatiq(RedisPeer):
    packages = ("dramatiq",)

    def __init__(self) -> None:
        super().__init__(name="dramatiq", label="Dramatiq", backend="redis")

    def outstanding(self) -> int:
        return int(self.redis.hlen("dramatiq:default.msgs"))

    def settings(self) -> dict[str, Any]:
        assert self.ctx
        return {"worker_threads": self.ctx.budget.slots, "middleware": "default"}


def all_systems() -> list[System]:
    return [Conveyor(), PgQueuer(), Procrastinate(), Celery(), RQ(), Arq(), Dramatiq()]


def versions_of(*names: str) -> dict[str, str]:
    return {n: version(n) for n in names}

"""Real worker, scheduler and API processes: crash recovery, graceful drain, outages, probes."""

from __future__ import annotations

import json
import signal
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest

from conveyor.engine.jobs import Jobs
from conveyor.engine.models import JobSpec
from conveyor.factories import blocking, jobs_in_states
from tests.support import Process, free_port, process_env, wait_until


def states(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        return dict(conn.execute("SELECT state, count(*) FROM conveyor.jobs GROUP BY state").fetchall())


def job_row(database_url: str, job_id: int) -> dict[str, Any]:
    with psycopg.connect(database_url) as conn:
        cur = conn.execute("SELECT state, attempts, worker_id FROM conveyor.jobs WHERE id = %s", [job_id])
        state, attempts, worker_id = cur.fetchone()  # type: ignore[misc]
    return {"state": state, "attempts": attempts, "worker_id": worker_id}


FAST = {
    "CONVEYOR_WORKER_POLL_INTERVAL": "0.2",
    "CONVEYOR_BACKOFF_BASE_SECONDS": "0.1",
    "CONVEYOR_BACKOFF_MAX_SECONDS": "0.5",
}


def through(route: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """Settings for processes that reach the database directly or through PgBouncer in
    transaction pooling mode (no LISTEN, no server-side prepared statements)."""
    if route == "direct":
        return {}
    return {
        "CONVEYOR_DATABASE_URL": request.getfixturevalue("pgbouncer_url"),
        "CONVEYOR_LISTEN_NOTIFY": "false",
        "CONVEYOR_DATABASE_PREPARED_STATEMENTS": "false",
    }


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize("route", ["direct", "pgbouncer"])
async def test_sigkilled_worker_loses_no_job(
    jobs: Jobs, spawn: Any, database_url: str, route: str, request: pytest.FixtureRequest
) -> None:
    total, concurrency = 1000, 20
    await jobs.enqueue([JobSpec(type="sleep", payload={"seconds": 0.1})] * total)
    env = {
        **FAST,
        **through(route, request),
        "CONVEYOR_WORKER_CONCURRENCY": str(concurrency),
        "CONVEYOR_WORKER_LEASE_SECONDS": "2",
    }
    victim = spawn("worker", env=env)
    wait_until(
        lambda: (s := states(database_url)).get("succeeded", 0) >= 100 and s.get("running", 0) > 0,
        timeout=60,
        what="progress",
    )
    victim.signal(signal.SIGKILL)
    victim.wait(10)
    snapshot = states(database_url)
    in_flight = snapshot.get("running", 0)
    assert in_flight > 0, "the kill should catch jobs mid-run"

    spawn("scheduler", env={**through(route, request), "CONVEYOR_SCHEDULER_TICK_SECONDS": "0.2"})
    spawn("worker", env=env)
    wait_until(
        lambda: states(database_url) == {"succeeded": total},
        timeout=90,
        interval=0.2,
        what="every job to succeed",
    )

    with psycopg.connect(database_url) as conn:
        rows = conn.execute("""
            SELECT j.id, j.attempts,
                   count(*) FILTER (WHERE e.to_state = 'running') AS runs,
                   count(*) FILTER (WHERE e.error->>'kind' = 'lease_expired') AS rescues
            FROM conveyor.jobs j JOIN conveyor.job_events e ON e.job_id = j.id
            GROUP BY j.id, j.attempts""").fetchall()
    assert len(rows) == total
    for _, attempts, runs, rescues in rows:
        assert runs == attempts  # every run is a recorded attempt
        assert rescues == attempts - 1  # a repeat only follows a lease expiry
    repeated = sum(1 for _, attempts, _, _ in rows if attempts > 1)
    assert 0 < repeated <= concurrency


@pytest.mark.slow
async def test_sigterm_finishes_in_flight_and_releases_the_rest(
    jobs: Jobs, spawn: Any, database_url: str
) -> None:
    env = {**FAST, "CONVEYOR_WORKER_CONCURRENCY": "2", "CONVEYOR_WORKER_SHUTDOWN_GRACE": "1.5"}
    worker = spawn("worker", env=env).wait_ready()
    [(short, _), (long, _)] = await jobs.enqueue(
        [JobSpec(type="sleep", payload={"seconds": 0.5}), JobSpec(type="sleep", payload={"seconds": 30})]
    )
    wait_until(lambda: states(database_url).get("running") == 2, what="both jobs running")
    [(waiting, _)] = await jobs.enqueue([JobSpec(type="noop")])

    started = time.monotonic()
    worker.signal(signal.SIGTERM)
    assert worker.wait(15) == 0
    assert time.monotonic() - started < 6

    assert job_row(database_url, short.id)["state"] == "succeeded"
    # The long job was given back at once: queued, no owner, its interrupted attempt uncounted.
    assert job_row(database_url, long.id) == {"state": "queued", "attempts": 0, "worker_id": None}
    assert job_row(database_url, waiting.id)["state"] == "queued"

    spawn("worker", env=env)
    wait_until(
        lambda: job_row(database_url, long.id)["state"] == "running",
        timeout=10,
        what="another worker to pick the released job without waiting for its lease",
    )
    wait_until(
        lambda: job_row(database_url, waiting.id)["state"] == "succeeded", timeout=10, what="the waiting job"
    )


def test_api_without_database_is_live_not_ready_and_answers_503(spawn: Any) -> None:
    dead = f"postgresql://conveyor@127.0.0.1:{free_port()}/conveyor?connect_timeout=1"
    api = spawn("api", env={"CONVEYOR_DATABASE_URL": dead, "CONVEYOR_DATABASE_TIMEOUT": "1"})
    wait_until(lambda: _get(f"{api.base_url}/livez") == 200, what="liveness")
    ready = httpx.get(f"{api.base_url}/readyz")
    assert ready.status_code == 503 and ready.headers["retry-after"]
    response = httpx.post(
        f"{api.base_url}/api/v1/jobs",
        json={"type": "noop"},
        headers={"Authorization": "Bearer cvk_abc_def"},
        timeout=10,
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"] == "application/problem+json"
    assert "database_unreachable_at_start" in api.output()
    # Every scrape runs the readiness check: alerting sees the outage without polling /readyz.
    assert _ready_gauge(api) == "0.0"


def test_unmigrated_database_refuses_to_start(database_url: str, tmp_path: Any) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS unmigrated")
        conn.execute("CREATE DATABASE unmigrated")
    url = urlsplit(database_url)._replace(path="/unmigrated").geturl()
    proc = Process(["worker", "--port", str(free_port())], process_env(url), tmp_path / "w.log").start()
    assert proc.wait(30) == 1
    assert "run `conveyor migrate` first" in proc.output()


def test_missing_production_setting_exits_naming_the_variable(tmp_path: Any) -> None:
    env = process_env("", CONVEYOR_ENV="production")
    env.pop("CONVEYOR_DATABASE_URL")
    proc = Process(["api"], env, tmp_path / "api.log").start()
    assert proc.wait(30) == 2
    assert "CONVEYOR_DATABASE_URL is required when CONVEYOR_ENV=production" in proc.output()


@pytest.mark.slow
async def test_worker_logs_json_and_exports_job_metrics(jobs: Jobs, spawn: Any, database_url: str) -> None:
    worker = spawn("worker", env=FAST).wait_ready()
    [(job, _)] = await jobs.enqueue([JobSpec(type="fail", payload={"times": 1}, max_attempts=2)])
    wait_until(lambda: job_row(database_url, job.id)["state"] == "succeeded", what="job")
    metrics = httpx.get(f"{worker.base_url}/metrics").text
    assert 'conveyor_jobs_completed_total{outcome="retrying",queue="default",type="fail"} 1.0' in metrics
    assert 'conveyor_jobs_completed_total{outcome="succeeded",queue="default",type="fail"} 1.0' in metrics
    assert "conveyor_job_queue_wait_seconds_bucket" in metrics
    assert "conveyor_worker_slots 20.0" in metrics
    worker.stop()
    lines = [json.loads(line) for line in worker.output().splitlines() if line.startswith("{")]
    assert lines and all(
        {"ts", "level", "event", "service", "trace_id", "span_id"} <= line.keys() for line in lines
    )
    [failure] = [line for line in lines if line["event"] == "job_attempt_failed"]
    assert failure["job_id"] == job.id and failure["service"] == "worker"


def _ready_gauge(process: Process) -> str:
    """The value of conveyor_ready in the process's /metrics (each scrape checks readiness)."""
    text = httpx.get(f"{process.base_url}/metrics", timeout=10).text
    return next(line.split()[1] for line in text.splitlines() if line.startswith("conveyor_ready "))


def _get(url: str) -> int:
    # Longer than readiness's own 2 s deadline for a database connection: with the database
    # gone, /readyz answers 503 only after that deadline, and a shorter client timeout saw 0.
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return 0


def answers_on(host: str, port: int) -> bool:
    try:
        return httpx.get(f"http://{host}:{port}/livez", timeout=5).status_code == 200
    except httpx.ConnectError:
        return False


@pytest.mark.parametrize(("command", "host"), [("worker", ""), ("scheduler", ""), ("worker", "0.0.0.0")])
def test_probes_listen_on_loopback_unless_configured(spawn: Any, command: str, host: str) -> None:
    # 127.0.0.2 reaches the loopback interface too, but only a wildcard listener answers it.
    process = spawn(command, env={"CONVEYOR_PROBES_HOST": host} if host else {}).wait_ready()
    assert answers_on("127.0.0.1", process.port)
    assert answers_on("127.0.0.2", process.port) is (host == "0.0.0.0")


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_worker_rides_out_a_database_outage(tmp_path: Any, spawn: Any) -> None:
    import pgserver.postgres_server

    from conveyor.store import migrate

    data = tmp_path / "pg"
    server = pgserver.postgres_server.get_server(data, cleanup_mode="stop")
    url = server.get_uri()
    migrate.upgrade(url)

    def submit() -> int:
        spec = JobSpec(type="noop", max_attempts=3, timeout_seconds=30)
        [job_id] = blocking(url, lambda engine: jobs_in_states(engine, [spec]))["queued"]
        return job_id

    def succeeded(job_id: int) -> bool:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT state FROM conveyor.jobs WHERE id = %s", [job_id]).fetchone()
        return row is not None and row[0] == "succeeded"

    worker = spawn("worker", env={**FAST, "CONVEYOR_DATABASE_URL": url, "CONVEYOR_DATABASE_TIMEOUT": "1"})
    worker.wait_ready()
    first = submit()
    wait_until(lambda: succeeded(first), what="a job before the outage")
    assert _ready_gauge(worker) == "1.0"

    server.cleanup()  # the database goes away
    wait_until(lambda: _get(f"{worker.base_url}/readyz") == 503, timeout=20, what="readiness to fail")
    assert _get(f"{worker.base_url}/livez") == 200
    assert _ready_gauge(worker) == "0.0"  # what ConveyorDatabaseUnavailable alerts on
    wait_until(
        lambda: worker.output().count("claim_failed") >= 2, timeout=20, what="claims to fail and back off"
    )
    assert worker.popen is not None and worker.popen.poll() is None

    server = pgserver.postgres_server.get_server(data, cleanup_mode="stop")  # and comes back
    try:
        worker.wait_ready(timeout=30)
        assert _ready_gauge(worker) == "1.0"
        second = submit()
        wait_until(lambda: succeeded(second), timeout=30, what="a job after the outage")
    finally:
        worker.stop()
        server.cleanup()

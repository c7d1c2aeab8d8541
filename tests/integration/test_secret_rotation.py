"""Rotation without a restart: a worker and a scheduler read the database URL from
CONVEYOR_DATABASE_URL_FILE; the password is rotated (file replaced, role's password changed,
the old connections cut) while jobs run; the same processes go on with new connections using
the new password, and every job succeeds.

The database is the test's own (pgserver), with password authentication for the application's
role, so the old password is really refused after the rotation."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from conveyor.engine.models import JobSpec
from conveyor.factories import blocking, jobs_in_states
from tests.support import Process, free_port, process_env, wait_until

JOBS = 60


def states(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute("SELECT state, count(*) FROM conveyor.jobs GROUP BY state").fetchall())


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_rotated_database_password_is_used_without_a_restart(tmp_path: Path) -> None:
    import pgserver.postgres_server

    from conveyor.store import migrate

    server = pgserver.postgres_server.get_server(tmp_path / "pg", cleanup_mode="stop")
    started: list[Process] = []
    try:
        admin = server.get_uri()
        migrate.upgrade(admin)
        socket_dir = dict(p.split("=", 1) for p in urlsplit(admin).query.split("&"))["host"]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE ROLE app LOGIN SUPERUSER PASSWORD 'first-password'")
            data_dir = Path(conn.execute("SHOW data_directory").fetchone()[0])  # type: ignore[index]
            hba = data_dir / "pg_hba.conf"
            hba.write_text("local all app scram-sha-256\n" + hba.read_text())
            conn.execute("SELECT pg_reload_conf()")

        def app_url(password: str) -> str:
            return f"postgresql://app:{password}@/postgres?host={socket_dir}"

        def refused(url: str) -> bool:
            try:
                psycopg.connect(url).close()
            except psycopg.OperationalError as exc:
                return "password authentication failed" in str(exc)
            return False

        wait_until(lambda: refused(app_url("wrong")), what="password authentication for app")

        secret = tmp_path / "secrets" / "database-url"
        secret.parent.mkdir()
        secret.write_text(app_url("first-password") + "\n")
        env = process_env(
            "",
            CONVEYOR_DATABASE_URL_FILE=str(secret),
            CONVEYOR_WORKER_POLL_INTERVAL="0.2",
            CONVEYOR_WORKER_CONCURRENCY="2",
            CONVEYOR_WORKER_LEASE_SECONDS="2",
            CONVEYOR_SCHEDULER_TICK_SECONDS="0.2",
        )
        del env["CONVEYOR_DATABASE_URL"]
        for command in ("worker", "scheduler"):
            port = free_port()
            started.append(
                Process([command, "--port", str(port)], env, tmp_path / f"{command}.log", port).start()
            )
        for process in started:
            process.wait_ready(timeout=90)
        pids = [p.popen.pid for p in started if p.popen is not None]

        spec = JobSpec(type="sleep", payload={"seconds": 0.05}, max_attempts=5, timeout_seconds=30)
        blocking(admin, lambda engine: jobs_in_states(engine, [spec] * JOBS))
        wait_until(
            lambda: states(admin).get("succeeded", 0) >= 5, timeout=60, what="jobs before the rotation"
        )

        # The rotation, as a secret store and External Secrets do it: the new file swapped in,
        # the role's password changed; cutting the old connections forces new ones now.
        staging = secret.with_suffix(".new")
        staging.write_text(app_url("second-password") + "\n")
        os.replace(staging, secret)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("ALTER ROLE app PASSWORD 'second-password'")
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app'")
        assert refused(app_url("first-password"))
        assert states(admin).get("succeeded", 0) < JOBS, "the rotation should happen while jobs wait"

        wait_until(lambda: states(admin) == {"succeeded": JOBS}, timeout=120, what="every job to succeed")
        for process in started:
            assert process.popen is not None and process.popen.poll() is None, process.output()
        assert [p.popen.pid for p in started if p.popen is not None] == pids
        with psycopg.connect(admin) as conn:
            connected = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = 'app'").fetchone()
        assert connected is not None and connected[0] > 0, "the processes reconnected as app"
    finally:
        for process in started:
            process.stop()
        server.cleanup()

"""A real PgBouncer (Debian's package) in transaction pooling mode in front of the tests'
PostgreSQL, for the engine guarantees that must hold through a pooler."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from tests.support import free_port, wait_until

PGBOUNCER = Path("/usr/sbin/pgbouncer")
DATABASE = "conveyor"

# PgBouncer refuses to run as root; as root, the tests start it as the packages' `postgres` user.
SERVICE_USER = "postgres"


def _quote(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


@contextlib.contextmanager
def pgbouncer(database_url: str, workdir: Path) -> Iterator[str]:
    """Start PgBouncer (pool_mode=transaction, loopback only) in front of ``database_url``;
    yield the URL clients use; stop it on exit."""
    if not os.access(PGBOUNCER, os.X_OK):
        raise RuntimeError(f"{PGBOUNCER} is missing: `make test-deps` installs Debian's pgbouncer")
    upstream = conninfo_to_dict(database_url)
    host = str(upstream.get("host") or "127.0.0.1")
    as_root = os.geteuid() == 0
    if as_root and host.startswith("/"):
        # The embedded server's socket directory is private to its creator; let PgBouncer's user in.
        socket_dir = Path(host)
        socket_dir.chmod(socket_dir.stat().st_mode | stat.S_IXOTH)
    workdir.mkdir(parents=True, exist_ok=True)
    server = " ".join(
        f"{key}={_quote(value)}"
        for key, value in {
            "host": host,
            "port": upstream.get("port") or 5432,
            "dbname": upstream.get("dbname") or "postgres",
            "user": upstream.get("user") or "postgres",
            "password": upstream.get("password"),
        }.items()
        if value
    )
    port = free_port()
    user = str(upstream.get("user") or "postgres")
    (workdir / "users.txt").write_text(f'"{user}" ""\n')
    (workdir / "pgbouncer.ini").write_text(
        f"""[databases]
{DATABASE} = {server}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
; loopback-only, test-only: clients are the test's own processes
auth_type = trust
auth_file = {workdir}/users.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
server_login_retry = 1
client_login_timeout = 10
"""
    )
    command = [str(PGBOUNCER), str(workdir / "pgbouncer.ini")]
    if as_root:
        account = pwd.getpwnam(SERVICE_USER)
        for path in (workdir, *workdir.iterdir()):
            shutil.chown(path, account.pw_uid, account.pw_gid)
        command[1:1] = ["-u", SERVICE_USER]
    log = workdir / "pgbouncer.log"  # written by this process: PgBouncer logs to stderr
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    url = f"postgresql://{user}@127.0.0.1:{port}/{DATABASE}?connect_timeout=5"
    try:

        def answers() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {log.read_text()}")
            with contextlib.suppress(psycopg.OperationalError), psycopg.connect(url) as conn:
                return conn.execute("SELECT 1").fetchone() == (1,)
            return False

        wait_until(answers, timeout=30, interval=0.2, what="pgbouncer to pass a query through")
        yield url
    finally:
        process.terminate()
        process.wait(10)

"""Debian's PostgreSQL, started by the drills on loopback: a primary with WAL archiving to
pgBackRest, streaming replicas, kills and promotions.

PostgreSQL refuses to run as root, so when the drill runs as root (CI, these machines) every
server command runs as the ``postgres`` user the Debian package creates, in a directory owned by
it. Nothing listens beyond 127.0.0.1 and authentication is ``trust`` on loopback only: these are
throw-away clusters inside one drill.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from scripts import polling

PG_MAJOR = "15"  # Debian bookworm's PostgreSQL (apt: postgresql-15); pgBackRest reads its WAL
PG_BIN = Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin")
SERVER_USER = "postgres"
APP_ROLE = "conveyor"
DATABASE = "conveyor"


class DrillError(RuntimeError):
    """A drill could not reach its steady state or inject its fault; the message says why."""


def poll(condition: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.1) -> Any:
    """``condition``'s first truthy value; DrillError naming ``what`` after ``timeout`` seconds."""
    return polling.poll(condition, timeout=timeout, what=what, interval=interval, error=DrillError)


def require_binaries() -> None:
    """Fail loudly, naming the package, when the servers the drills need are missing."""
    missing = [name for name in ("initdb", "pg_ctl", "pg_basebackup") if not (PG_BIN / name).exists()]
    if missing:
        raise DrillError(
            f"PostgreSQL {PG_MAJOR} is not installed ({', '.join(missing)} missing under {PG_BIN}): "
            f"run `make drills-tools` (apt-get install postgresql-{PG_MAJOR} pgbackrest nftables)"
        )
    if not shutil.which("pgbackrest"):
        raise DrillError("pgbackrest is not installed: run `make drills-tools` (apt-get install pgbackrest)")


def as_server_user(args: Sequence[str]) -> list[str]:
    """The command, run as the postgres user when we are root (PostgreSQL refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", SERVER_USER, "--", *args]
    return list(args)


def run(args: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    """Run a server-side command; a failure raises DrillError with its output."""
    result = subprocess.run(
        as_server_user(args),
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise DrillError(
            f"{' '.join(args[:2])} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result.stdout


def make_workdir(path: Path) -> Path:
    """A directory the server user owns (the drill's root for data, repository and logs)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        owner = pwd.getpwnam(SERVER_USER)
        os.chown(path, owner.pw_uid, owner.pw_gid)
    path.chmod(0o700)
    return path


@dataclass
class Cluster:
    """One PostgreSQL instance: a data directory, a loopback port, a log file."""

    name: str
    root: Path
    port: int
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def data(self) -> Path:
        return self.root / self.name / "data"

    @property
    def log(self) -> Path:
        return self.root / self.name / "postgresql.log"

    @property
    def socket_dir(self) -> Path:
        return self.root / self.name

    def dsn(self, *, user: str = APP_ROLE, dbname: str = DATABASE) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}?connect_timeout=5"

    def _admin_dsn(self, dbname: str) -> str:
        # A bound on every statement the drill itself runs: a drill never hangs, it fails.
        return self.dsn(user=SERVER_USER, dbname=dbname) + "&options=-c%20statement_timeout%3D60000"

    def initdb(self) -> Cluster:
        make_workdir(self.root / self.name)
        run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-U",
                SERVER_USER,
                "--auth-local=trust",
                "--auth-host=trust",
                "--data-checksums",
                "-E",
                "UTF8",
                "--locale=C",
            ]
        )
        self.configure()
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n"
        )
        return self

    def configure(self) -> None:
        """Write this instance's settings (port, loopback, the drill's choices) as an include."""
        base = {
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.socket_dir}'",
            "wal_level": "replica",
            "max_wal_senders": "5",
            "wal_keep_size": "'256MB'",
            "hot_standby": "on",
            "fsync": "on",
            "log_min_messages": "warning",
        }
        lines = [f"{key} = {value}" for key, value in {**base, **self.settings}.items()]
        (self.data / "drill.conf").write_text("\n".join(lines) + "\n")
        conf = self.data / "postgresql.conf"
        if "include_if_exists = 'drill.conf'" not in conf.read_text():
            with conf.open("a") as out:
                out.write("\ninclude_if_exists = 'drill.conf'\n")
        if os.geteuid() == 0:
            owner = pwd.getpwnam(SERVER_USER)
            os.chown(self.data / "drill.conf", owner.pw_uid, owner.pw_gid)

    def start(self, *, timeout: float = 60) -> Cluster:
        run(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                str(int(timeout)),
                "start",
            ],
            timeout=timeout + 10,
        )
        return self

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"], timeout=90)

    def ensure_stopped(self) -> None:
        """Cleanup after a drill, passed or failed: nothing of ours keeps running."""
        pid = self.pid()
        if pid is not None and _alive(pid):
            try:
                self.stop("immediate")
            except DrillError:
                self.kill()

    def pid(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        try:
            return int(pidfile.read_text().splitlines()[0])
        except (OSError, IndexError, ValueError):
            return None

    def kill(self) -> float:
        """SIGKILL the postmaster and its children (a lost machine); return when it happened.

        SIGKILL to the postmaster alone leaves its backends running until they notice, so the
        whole process group goes — the way a power cut takes everything at once."""
        pid = self.pid()
        if pid is None:
            raise DrillError(f"{self.name}: no postmaster.pid, nothing to kill (is it running?)")
        children = _children(pid)
        killed_at = time.time()
        os.kill(pid, signal.SIGKILL)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _alive(pid):
            if time.monotonic() > deadline:
                raise DrillError(f"{self.name}: postmaster {pid} survived SIGKILL")
            time.sleep(0.02)
        return killed_at

    def destroy_data(self) -> None:
        shutil.rmtree(self.data)

    def promote(self, *, timeout: float = 60) -> None:
        run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", str(int(timeout)), "promote"])

    def superuser(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self._admin_dsn("postgres"), autocommit=True)

    def sql(
        self, statement: str, params: tuple[object, ...] | None = None, *, dbname: str = DATABASE
    ) -> list[tuple[object, ...]]:
        with psycopg.connect(self._admin_dsn(dbname), autocommit=True) as conn:
            cursor = conn.execute(statement.encode(), params)
            return cursor.fetchall() if cursor.description else []

    def count(
        self, statement: str, params: tuple[object, ...] | None = None, *, dbname: str = DATABASE
    ) -> int:
        """The single integer a ``SELECT count(*) ...`` returns."""
        value = self.sql(statement, params, dbname=dbname)[0][0]
        if not isinstance(value, int):
            raise DrillError(f"expected a count from {statement!r}, got {value!r}")
        return value

    def in_recovery(self) -> bool:
        return bool(self.sql("SELECT pg_is_in_recovery()", dbname="postgres")[0][0])

    def create_app_database(self) -> None:
        """The application's role (no superuser, no replication) and database it owns."""
        with self.superuser() as conn:
            conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN".encode())
            conn.execute(f"CREATE DATABASE {DATABASE} OWNER {APP_ROLE}".encode())

    def replica(self, name: str, port: int, *, application_name: str) -> Cluster:
        """A streaming replica of this instance (pg_basebackup -R), started and streaming."""
        standby = Cluster(name, self.root, port, dict(self.settings))
        make_workdir(self.root / name)
        run(
            [
                str(PG_BIN / "pg_basebackup"),
                "-D",
                str(standby.data),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                SERVER_USER,
                "-X",
                "stream",
                "-c",
                "fast",
                "-R",
                "-d",
                f"application_name={application_name}",
            ],
            timeout=300,
        )
        standby.configure()
        standby.start()
        return standby


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes; /proc tells.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False

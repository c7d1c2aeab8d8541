"""Helpers for the deploy tests: podman through the project's wrapper, a loopback PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from tests.support import REPO, free_port, wait_until

SCRIPTS = REPO / "scripts" / "image"


def script(
    name: str, *args: str, timeout: float = 600, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run scripts/image/<name> (bash), capturing its output."""
    result = subprocess.run(
        ["bash", str(SCRIPTS / name), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{name} {' '.join(args)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    return script("podman.sh", *args, timeout=timeout, check=check)


# A container the way production runs it: the image's own (non-root) user, read-only root
# filesystem with /tmp the only writable path, no capabilities, no privilege gain; host
# network on loopback.
HARDENED = (
    "--network=host",
    "--read-only",
    "--read-only-tmpfs=false",
    "--tmpfs=/tmp:rw,nosuid,nodev,size=64m",
    "--cap-drop=ALL",
    "--security-opt=no-new-privileges",
)


@dataclass
class Containers:
    """Containers started by a test module; all removed at the end."""

    image: str
    prefix: str = field(default_factory=lambda: f"conveyor-smoke-{os.getpid()}")
    names: list[str] = field(default_factory=list)

    def run_once(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """``podman run --rm`` a one-shot command (migrate, admin ...) and return its result."""
        return podman(
            "run", "--rm", "--no-healthcheck", *HARDENED, *_env(env), self.image, *args,
            timeout=timeout, check=False,
        )  # fmt: skip

    def start(self, role: str, *args: str, env: dict[str, str] | None = None) -> str:
        """``podman run -d`` a long-running process; returns the container name."""
        name = f"{self.prefix}-{role}"
        self.names.append(name)
        podman("run", "--detach", f"--name={name}", *HARDENED, *_env(env), self.image, *args)
        return name

    def inspect(self, name: str, template: str) -> str:
        return podman("inspect", "--format", template, name).stdout.strip()

    def running(self, name: str) -> bool:
        return self.inspect(name, "{{.State.Running}}") == "true"

    def logs(self, name: str) -> str:
        result = podman("logs", name, check=False)
        return result.stdout + result.stderr

    def stop_with_sigterm(self, name: str, *, within: float) -> tuple[int, float]:
        """Send SIGTERM (as an orchestrator does) and wait for the exit; (exit code, seconds)."""
        start = time.monotonic()
        podman("kill", "--signal=TERM", name)
        wait_until(lambda: not self.running(name), timeout=within, interval=0.2, what=f"{name} to exit")
        elapsed = time.monotonic() - start
        return int(self.inspect(name, "{{.State.ExitCode}}")), elapsed

    def remove_all(self) -> None:
        for name in self.names:
            podman("rm", "--force", "--time=2", name, check=False)


def _env(env: dict[str, str] | None) -> list[str]:
    return [f"--env={k}={v}" for k, v in (env or {}).items()]


@contextlib.contextmanager
def loopback_postgres(database: str) -> Iterator[str]:
    """A throw-away PostgreSQL on 127.0.0.1:<free port>, from the server binaries the pgserver
    package ships (no system PostgreSQL needed); yields the URL of a fresh ``database``.

    As root, the server runs as the unprivileged user pgserver itself uses ("pgserver").
    Durability is off (fsync): this database lives for one test session.
    """
    import pgserver

    bindir = Path(pgserver.__file__).parent / "pginstall" / "bin"
    user: str | None = None
    if os.geteuid() == 0:
        user = "pgserver"
        try:
            pwd.getpwnam(user)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user],
                check=True,
            )
    root = Path(tempfile.mkdtemp(prefix="conveyor-smoke-pg-"))
    data = root / "data"
    if user:
        shutil.chown(root, user, user)
    port = free_port()
    log = (root / "postgres.log").open("wb")
    server: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres", "-E", "UTF8"],
            check=True,
            capture_output=True,
            user=user,
        )
        server = subprocess.Popen(
            [str(bindir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(root),
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "max_connections=100"],
            stdout=log, stderr=subprocess.STDOUT, user=user,
        )  # fmt: skip
        admin_url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

        def accepting() -> bool:
            assert server is not None
            if server.poll() is not None:
                raise AssertionError(f"postgres exited: {(root / 'postgres.log').read_text()}")
            try:
                with psycopg.connect(admin_url, connect_timeout=2):
                    return True
            except psycopg.OperationalError:
                return False

        wait_until(accepting, timeout=30, interval=0.2, what="the loopback PostgreSQL")
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        yield f"postgresql://postgres@127.0.0.1:{port}/{database}"
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)  # fast shutdown
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)

"""``conveyor up``: the whole platform on one machine, supervised.

Starts the embedded PostgreSQL (unless CONVEYOR_DATABASE_URL points elsewhere), migrates,
makes sure a bootstrap admin API key exists (``.conveyor/admin.key``, mode 0600), then runs
api, console (web), worker and scheduler as child processes. A child that dies is restarted with backoff.
Ctrl-C or SIGTERM stops every child gracefully, then the database.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from rich.console import Console

from conveyor.local_tls import ensure_local_tls
from conveyor.settings import Settings
from conveyor.store import migrate
from conveyor.store.api_keys import authenticate, create_api_key
from conveyor.store.database import database_url, open_pool
from conveyor.store.sessions import login
from conveyor.store.users import ensure_user, update_user

console = Console(stderr=True)
ADMIN_EMAIL = "admin@localhost"
STOP_TIMEOUT = 30.0


def admin_key_path(settings: Settings) -> Path:
    return settings.home / "admin.key"


async def ensure_admin_key(settings: Settings, url: str) -> tuple[str, bool]:
    """Return (key, created): the saved key if it still works, else a new one saved 0600."""
    path = admin_key_path(settings)
    pool = await open_pool(url, size=1, name="conveyor-up")
    try:
        await pool.wait()
        if path.exists():
            saved = path.read_text().strip()
            if await authenticate(pool, saved):
                return saved, False
        user = await ensure_user(pool, ADMIN_EMAIL, "admin", name="Bootstrap admin")
        _, key = await create_api_key(pool, user["id"], "bootstrap (conveyor up)")
    finally:
        await pool.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    path.chmod(0o600)
    return key, True


def admin_password_path(settings: Settings) -> Path:
    return settings.home / "admin.password"


def _write_secret(path: Path, secret: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    path.chmod(0o600)


async def ensure_admin_password(settings: Settings, url: str) -> tuple[str, bool]:
    """The bootstrap admin's console password: the saved one if it still signs in, else a new
    random one saved 0600 (the admin changes it, or creates real users, from there)."""
    path = admin_password_path(settings)
    pool = await open_pool(url, size=1, name="conveyor-up")
    try:
        await pool.wait()
        if path.exists():
            saved = path.read_text().strip()
            if await login(pool, ADMIN_EMAIL, saved):
                return saved, False
        user = await ensure_user(pool, ADMIN_EMAIL, "admin", name="Bootstrap admin")
        password = secrets.token_urlsafe(15)
        await update_user(pool, user["id"], {"password": password})
    finally:
        await pool.close()
    _write_secret(path, password)
    return password, True


def open_private_log(path: Path) -> BinaryIO:
    """Append to ``path``, readable by this user only: logs hold job ids, request details and
    payload errors (0600 also for a file an older version created 0644)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "ab")


def secret_line(label: str, secret: str, created: bool, path: Path) -> str:
    """The secret itself only when just created; after that, where it is kept."""
    if created:
        return f"  {label:<9}  {secret}  (new)\n             saved in {path.resolve()}"
    return f"  {label:<9}  in {path.resolve()}"


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = field(default=0.0)

    def start(self, env: dict[str, str], log_dir: Path) -> None:
        log = open_private_log(log_dir / f"{self.name}.log")
        # A new session: Ctrl-C reaches only the supervisor, which stops children in order.
        self.process = subprocess.Popen(
            self.argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started_at = time.monotonic()


def watch_for_changes(paths: list[Path], changed: threading.Event, stop: threading.Event) -> None:
    """Set ``changed`` whenever a source file (Python, SQL, templates, static assets) under
    ``paths`` changes, until ``stop`` is set. Runs in a thread of the supervisor."""
    from watchfiles import PythonFilter, watch  # a development dependency, checked by up()

    sources = PythonFilter(extra_extensions=(".sql", ".html", ".css", ".js", ".json"))
    for changes in watch(*paths, watch_filter=sources, stop_event=stop, debounce=300):
        names = sorted({Path(path).name for _, path in changes})
        console.print(f"[cyan]changed: {', '.join(names[:5])}[/]")
        changed.set()


def up(
    settings: Settings, *, reload: bool = False, watch: list[Path] | None = None, https: bool = False
) -> int:
    """Run the platform; with ``reload``, restart every process when a file under ``watch``
    (default: the conveyor package) changes — the API and console reload, the worker and
    scheduler drain and restart, the embedded database keeps running."""
    if reload and importlib.util.find_spec("watchfiles") is None:  # the image has no dev dependencies
        raise RuntimeError("--reload needs the development dependencies (`uv sync`, `make dev`)")
    settings.home.mkdir(mode=0o700, parents=True, exist_ok=True)  # private when created here
    with console.status("starting the database"):
        url = database_url(settings)
    with console.status("migrating"):
        migrate.upgrade(url)
    key, created = asyncio.run(ensure_admin_key(settings, url))
    password, new_password = asyncio.run(ensure_admin_password(settings, url))

    scheme = "https" if https else "http"
    api = f"{scheme}://{settings.api_host}:{settings.api_port}"
    # The console talks to this API, whatever CONVEYOR_API_URL says for the CLI.
    env = {**os.environ, "CONVEYOR_DATABASE_URL": url, "CONVEYOR_API_URL": api, "PYTHONUNBUFFERED": "1"}
    tls = None
    if https:
        tls = ensure_local_tls(settings.home, (settings.api_host, settings.web_host))
        env.update(
            {
                "CONVEYOR_TLS_CERT_FILE": str(tls.cert_file),
                "CONVEYOR_TLS_KEY_FILE": str(tls.key_file),
                "CONVEYOR_API_CA_FILE": str(tls.ca_file),
                "CONVEYOR_COOKIE_SECURE": "true",
            }
        )
    # The console signs users in from this machine: the API believes the browser address it
    # forwards, so that failed sign-ins are limited per browser, not for the console as a whole.
    env.setdefault("CONVEYOR_TRUSTED_PROXIES", "127.0.0.1,::1")
    python = [sys.executable, "-m", "conveyor"]
    children = [
        Child("api", [*python, "api", "--port", str(settings.api_port)]),
        Child("web", [*python, "web", "--port", str(settings.web_port)]),
        Child("worker", [*python, "worker", "--port", str(settings.worker_port)]),
        Child("scheduler", [*python, "scheduler", "--port", str(settings.scheduler_port)]),
    ]
    log_dir = settings.home / "logs"
    log_dir.mkdir(mode=0o700, exist_ok=True)
    log_dir.chmod(0o700)
    for child in children:
        child.start(env, log_dir)

    console.print(f"[bold green]Conveyor is up[/] (data in {settings.home.resolve()})")
    console.print(f"  console    {scheme}://{settings.web_host}:{settings.web_port}/   (sign in: see below)")
    console.print(f"  API        {api}/api/v1   docs {api}/api/docs")
    console.print(f"  worker     http://{settings.probes_host}:{settings.worker_port}/metrics")
    console.print(f"  scheduler  http://{settings.probes_host}:{settings.scheduler_port}/metrics")
    console.print(f"  logs       {log_dir.resolve()}/*.log")
    if tls:
        console.print(f"  HTTPS CA   {tls.ca_file.resolve()}", highlight=False, soft_wrap=True)
        console.print("             trust it in your browser; the CLI: CONVEYOR_API_CA_FILE=<that path>")
    # Printed once, when created: terminals are scrolled back, recorded and shared.
    console.print(
        secret_line("admin key", key, created, admin_key_path(settings)),
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    console.print(f"  sign in    as {ADMIN_EMAIL}", highlight=False, markup=False, soft_wrap=True)
    console.print(
        secret_line("password", password, new_password, admin_password_path(settings)),
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    changed, stop_watching = threading.Event(), threading.Event()
    if reload:
        paths = watch or [Path(__file__).resolve().parent]
        threading.Thread(target=watch_for_changes, args=(paths, changed, stop_watching), daemon=True).start()
        console.print(f"  reload     on changes under {', '.join(str(p) for p in paths)}")
    console.print("Press Ctrl-C to stop.")
    sys.stdout.flush()

    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    while not stopping:
        if changed.is_set():
            changed.clear()
            console.print("restarting api, web, worker and scheduler…")
            stop_children(children)
            for child in children:
                child.start(env, log_dir)
        for child in children:
            assert child.process is not None
            code = child.process.poll()
            if code is None:
                continue
            backoff = min(30.0, 2.0 ** min(child.restarts, 5))
            if time.monotonic() - child.started_at > 60:
                child.restarts = 0
            console.print(f"[yellow]{child.name} exited with {code}; restarting in {backoff:.0f}s[/]")
            time.sleep(backoff)
            child.restarts += 1
            child.start(env, log_dir)
        time.sleep(0.5)

    stop_watching.set()
    console.print("stopping…")
    stop_children(children)
    console.print("stopped.")
    return 0


def stop_children(children: list[Child]) -> None:
    """SIGTERM every child (each drains gracefully), then kill what outlives STOP_TIMEOUT."""
    for child in children:
        if child.process and child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        assert child.process is not None
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            console.print(f"[red]{child.name} did not stop in time; killing it[/]")
            child.process.kill()

"""`conveyor up` as a new user runs it: one command, then the CLI drives jobs and schedules."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import REPO, Recorder, free_port, recording_receiver, wait_until


@pytest.fixture
def receiver() -> Iterator[Recorder]:
    with recording_receiver() as recorder:
        yield recorder


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_")}
    ports = {name: str(free_port()) for name in ("API", "WEB", "WORKER", "SCHEDULER")}
    env.update({f"CONVEYOR_{name}_PORT": port for name, port in ports.items()})
    env.update(
        {
            "CONVEYOR_HOME": str(home),
            "CONVEYOR_API_URL": f"http://127.0.0.1:{ports['API']}",
            "CONVEYOR_HTTP_ALLOW": "127.0.0.1",
            "CONVEYOR_WORKER_POLL_INTERVAL": "0.2",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conveyor", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )


def cli_json(env: dict[str, str], *args: str) -> Any:
    done = cli(env, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def start_up(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "conveyor", "up"],
        env=env,
        cwd=REPO,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    api = env["CONVEYOR_API_URL"]

    def ready() -> bool:
        assert proc.poll() is None, log.read_text()
        try:
            return httpx.get(f"{api}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(ready, timeout=60, interval=0.2, what="conveyor up to serve a ready API")
    return proc


def stop_up(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=45) == 0


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_up_runs_http_jobs_and_schedules_from_the_cli(tmp_path: Path, receiver: Recorder) -> None:
    home = tmp_path / ".conveyor"
    env = env_for(home)
    log = tmp_path / "up.log"
    proc = start_up(env, log)
    try:
        key_file = home / "admin.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        key = key_file.read_text().strip()
        assert key in log.read_text()  # printed once for the user

        # The console is up too, and the printed password signs in to it.
        password_file = home / "admin.password"
        assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
        password = password_file.read_text().strip()
        assert password in log.read_text()
        console = f"http://127.0.0.1:{env['CONVEYOR_WEB_PORT']}"

        def console_ready() -> bool:
            try:
                return httpx.get(f"{console}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(console_ready, timeout=30, what="the console")
        with httpx.Client(base_url=console) as browser:
            form = browser.get("/sign-in")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token
            # The cookies are Secure (the default); httpx keeps those for HTTPS, a browser does not.
            cookie = form.headers["set-cookie"].split(";", 1)[0]
            signed_in = browser.post(
                "/sign-in",
                data={"email": "admin@localhost", "password": password, "csrf_token": token.group(1)},
                headers={"Cookie": cookie},
            )
            assert signed_in.status_code == 303 and "conveyor_console" in signed_in.headers["set-cookie"]

        job = cli_json(
            env, "jobs", "submit", "http", "-p", json.dumps({"url": f"{receiver.url}/hook", "body": {"n": 1}})
        )
        schedule = cli_json(
            env,
            "schedules",
            "create",
            "tick",
            "--cron",
            "@every 1s",
            "--type",
            "echo",
            "-p",
            '{"from": "schedule"}',
        )

        def succeeded() -> bool:
            state: str = cli_json(env, "jobs", "show", str(job["id"]))["state"]
            return state == "succeeded"

        wait_until(succeeded, timeout=30, interval=0.3, what="the http job")
        assert [r.body for r in receiver.received] == [b'{"n":1}']

        def schedule_ran() -> bool:
            page = cli_json(env, "jobs", "list", "--type", "echo", "--state", "succeeded", "--json")
            return len(page["items"]) >= 2

        wait_until(schedule_ran, timeout=30, interval=0.5, what="two scheduled runs")
        # Worker and scheduler serve their probes on loopback only, like the API and the console.
        for child in ("WORKER", "SCHEDULER"):
            port = env[f"CONVEYOR_{child}_PORT"]
            assert httpx.get(f"http://127.0.0.1:{port}/livez", timeout=5).status_code == 200
            with pytest.raises(httpx.ConnectError):
                httpx.get(f"http://127.0.0.2:{port}/livez", timeout=5)
        assert schedule["name"] in cli(env, "schedules", "list").stdout

        bad = cli(env, "jobs", "submit", "sleep", "-p", '{"seconds": "long"}')
        assert bad.returncode == 1 and "payload.seconds" in bad.stderr
        bad_time = cli(env, "jobs", "submit", "noop", "--run-at", "tomorrow")
        assert bad_time.returncode == 2 and "--run-at" in bad_time.stderr
        bad_cron = cli(env, "schedules", "create", "x", "--cron", "* * *", "--type", "noop")
        assert bad_cron.returncode == 1 and "cron" in bad_cron.stderr
    finally:
        stop_up(proc)
    for child in ("api", "web", "worker", "scheduler"):
        child_log = home / "logs" / f"{child}.log"
        assert "exited" in child_log.read_text()
        assert stat.S_IMODE(child_log.stat().st_mode) == 0o600  # logs are this user's only
    assert stat.S_IMODE((home / "logs").stat().st_mode) == 0o700

    # A second `up` reuses the data and the saved key.
    proc = start_up(env, log)
    try:
        assert (home / "admin.key").read_text().strip() == key
        assert cli_json(env, "jobs", "show", str(job["id"]))["state"] == "succeeded"
        second_start = log.read_text().split("Conveyor is up")[-1]
        assert "(new)" not in second_start
        # The secrets were printed once; now only where they are kept.
        assert key not in second_start and password not in second_start
        assert str((home / "admin.key").resolve()) in second_start
        assert str((home / "admin.password").resolve()) in second_start
    finally:
        stop_up(proc)

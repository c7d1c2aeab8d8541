"""`make dev` (`conveyor up --reload`): an edited source file restarts the API, the console,
the worker and the scheduler within seconds, on the same embedded database."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.test_up import env_for
from tests.support import REPO, wait_until

START_TIME = re.compile(r"^process_start_time_seconds (\S+)$", re.MULTILINE)


def started_at(metrics_url: str) -> float | None:
    """The process's start time from its own /metrics, or None while it is (re)starting."""
    try:
        match = START_TIME.search(httpx.get(metrics_url, timeout=1).text)
    except httpx.HTTPError:
        return None
    return float(match.group(1)) if match else None


def test_an_edit_restarts_every_process(tmp_path: Path) -> None:
    env = env_for(tmp_path / "home")
    watched = tmp_path / "src"
    watched.mkdir()
    log = tmp_path / "up.log"
    api = f"{env['CONVEYOR_API_URL']}/metrics"
    worker = f"http://127.0.0.1:{env['CONVEYOR_WORKER_PORT']}/metrics"
    proc = subprocess.Popen(
        [sys.executable, "-m", "conveyor", "up", "--reload", "--watch", str(watched)],
        env=env,
        cwd=REPO,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        before = wait_until(
            lambda: (a := started_at(api)) and (w := started_at(worker)) and (a, w),
            timeout=90,
            interval=0.2,
            what="the API and the worker to serve /metrics",
        )
        (watched / "handlers.py").write_text("EDITED = True\n")
        after = wait_until(
            lambda: (
                (a := started_at(api))
                and (w := started_at(worker))
                and a > before[0]
                and w > before[1]
                and (a, w)
            ),
            timeout=60,
            interval=0.2,
            what="the API and the worker to restart after the edit",
        )
        assert after[0] > before[0] and after[1] > before[1]
        assert "changed: handlers.py" in log.read_text()
        assert httpx.get(f"{env['CONVEYOR_API_URL']}/readyz", timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, log.read_text()

"""Real Prometheus and Alertmanager processes for the tests, from the committed configurations
with a test profile: loopback ports, short intervals, receivers pointed at a local HTTP server."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.observability.conftest import OBSERVABILITY, tool
from tests.support import free_port, wait_until

ALERTMANAGER_DIR = OBSERVABILITY / "alertmanager"


@dataclass
class Notifications:
    """What the receivers got: (receiver path, JSON body), in arrival order."""

    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, body: dict[str, Any]) -> None:
        with self.lock:
            self.received.append((path, body))

    def snapshot(self) -> list[tuple[str, dict[str, Any]]]:
        with self.lock:
            return list(self.received)


@contextmanager
def receiver() -> Iterator[tuple[str, Notifications]]:
    """An HTTP server standing in for PagerDuty, Slack and the dead man's switch."""
    notifications = Notifications()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            notifications.add(self.path, json.loads(body or b"{}"))
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            # What PagerDuty ("status") and Slack ("ok") answer; Alertmanager checks them.
            self.wfile.write(b'{"status": "success", "ok": true}')

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", notifications
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Server:
    popen: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _start(args: list[str], url: str, log: Path) -> Server:
    with log.open("ab") as out:
        popen = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=log.parent)
    server = Server(popen, url, log)

    def ready() -> bool:
        if popen.poll() is not None:
            raise AssertionError(f"{args[0]} exited with {popen.returncode}:\n{server.output()}")
        try:
            return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(ready, timeout=30, interval=0.1, what=f"{Path(args[0]).name} ready")
    return server


def alertmanager_config(directory: Path, receiver_url: str, *, fast: bool) -> Path:
    """The committed alertmanager.yml with its templates, secrets written for the test receiver
    (secrets/ beside it: Alertmanager runs in that directory, as in production).
    Only the PagerDuty endpoint changes (it defaults to PagerDuty's API); with ``fast`` the
    grouping waits shrink to a second so a test sees notifications at once."""
    shutil.copytree(ALERTMANAGER_DIR / "templates", directory / "templates")
    secrets = directory / "secrets"
    secrets.mkdir(mode=0o700)
    (secrets / "pagerduty-routing-key").write_text("test-routing-key\n")
    (secrets / "slack-webhook-url").write_text(f"{receiver_url}/slack\n")
    (secrets / "deadmansswitch-url").write_text(f"{receiver_url}/deadmansswitch\n")
    config = yaml.safe_load((ALERTMANAGER_DIR / "alertmanager.yml").read_text())
    for receiver_config in config["receivers"]:
        for pagerduty in receiver_config.get("pagerduty_configs", []):
            pagerduty["url"] = f"{receiver_url}/pagerduty"
    if fast:
        for route in [config["route"], *config["route"].get("routes", [])]:
            route.update(group_wait="1s", group_interval="1s")
    path = directory / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def start_alertmanager(directory: Path, receiver_url: str, *, fast: bool = True) -> Server:
    directory.mkdir(parents=True, exist_ok=True)
    config = alertmanager_config(directory, receiver_url, fast=fast)
    port = free_port()
    return _start(
        [
            tool("alertmanager"),
            f"--config.file={config}",
            f"--storage.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        f"http://127.0.0.1:{port}",
        directory / "alertmanager.log",
    )


def start_prometheus(
    directory: Path, targets: dict[str, list[str]], alertmanager: str, interval: str
) -> Server:
    """The committed prometheus.yml and rules, with the test's targets and a short interval."""
    directory.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((OBSERVABILITY / "prometheus" / "prometheus.yml").read_text())
    config["global"].update(scrape_interval=interval, scrape_timeout=interval, evaluation_interval=interval)
    config["rule_files"] = [str(OBSERVABILITY / "prometheus" / "rules" / "*.yaml")]
    config["alerting"]["alertmanagers"][0]["static_configs"] = [{"targets": [alertmanager.split("//", 1)[1]]}]
    port = free_port()
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    jobs["prometheus"]["static_configs"] = [{"targets": [f"127.0.0.1:{port}"]}]
    for name, instances in targets.items():
        jobs[name]["static_configs"] = [{"targets": instances}]
    path = directory / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return _start(
        [
            tool("prometheus"),
            f"--config.file={path}",
            f"--storage.tsdb.path={directory / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        f"http://127.0.0.1:{port}",
        directory / "prometheus.log",
    )

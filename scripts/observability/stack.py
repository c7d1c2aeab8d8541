"""The observability stack on loopback, from the committed configurations.

    python -m scripts.observability.stack        (`make observability-up`)

Runs Prometheus (the rules in observability/prometheus/rules) scraping the processes `make up`
starts, and Alertmanager with observability/alertmanager/alertmanager.yml. Its receivers point at
a small local receiver that prints each notification here, so a page shows in this terminal
(and at Alertmanager's URL) without a PagerDuty or Slack account. Beside them the logs and
traces pipeline: the OpenTelemetry Collector (observability/otel-collector/config.yaml) tailing
`make up`'s log files and receiving OTLP, Jaeger (traces) and VictoriaLogs (logs).
Ctrl-C stops everything. The tests start the same servers with shorter intervals
(tests/observability).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml

REPO = Path(__file__).resolve().parents[2]
OBSERVABILITY = REPO / "observability"
ALERTMANAGER_DIR = OBSERVABILITY / "alertmanager"
PROMETHEUS_DIR = OBSERVABILITY / "prometheus"
COLLECTOR_CONFIG = OBSERVABILITY / "otel-collector" / "config.yaml"
JAEGER_CONFIG = OBSERVABILITY / "jaeger" / "config.yaml"
TOOLS_BIN = REPO / ".cache" / "tools" / "bin"
RUN_DIR = REPO / ".cache" / "observability"


@dataclass
class Notifications:
    """What the receivers got: (receiver path, JSON body), in arrival order."""

    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_receive: Callable[[str, dict[str, Any]], None] | None = None

    def add(self, path: str, body: dict[str, Any]) -> None:
        with self.lock:
            self.received.append((path, body))
        if self.on_receive:
            self.on_receive(path, body)

    def snapshot(self) -> list[tuple[str, dict[str, Any]]]:
        with self.lock:
            return list(self.received)


@contextmanager
def receiver(
    on_receive: Callable[[str, dict[str, Any]], None] | None = None,
) -> Iterator[tuple[str, Notifications]]:
    """An HTTP server on loopback standing in for PagerDuty, Slack and the dead man's switch."""
    notifications = Notifications(on_receive=on_receive)

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


def _start(
    args: list[str],
    url: str,
    log: Path,
    timeout: float = 30,
    *,
    ready: str = "/-/ready",
    ready_status: int = 200,
    env: dict[str, str] | None = None,
) -> Server:
    """Start a server in its own directory (Alertmanager reads its secret files from there);
    ready once GET ``ready`` answers ``ready_status``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        popen = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=log.parent,
            env={**os.environ, **env} if env else None,
        )
    server = Server(popen, url, log)
    deadline = time.monotonic() + timeout
    while True:
        if popen.poll() is not None:
            raise RuntimeError(f"{args[0]} exited with {popen.returncode}:\n{server.output()}")
        try:
            if httpx.get(f"{url}{ready}", timeout=1).status_code == ready_status:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"{args[0]} not ready after {timeout} s:\n{server.output()}")
        time.sleep(0.1)


def alertmanager_config(directory: Path, receiver_url: str, *, fast: bool) -> Path:
    """The committed alertmanager.yml and templates, with secrets written for a local receiver
    (secrets/ beside it). Only the PagerDuty endpoint changes (it defaults to PagerDuty's API);
    with ``fast`` the grouping waits shrink to a second so notifications come at once."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(directory / "templates", ignore_errors=True)
    shutil.copytree(ALERTMANAGER_DIR / "templates", directory / "templates")
    secrets = directory / "secrets"
    secrets.mkdir(mode=0o700, exist_ok=True)
    (secrets / "pagerduty-routing-key").write_text("local-routing-key\n")
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


def start_alertmanager(
    binary: str, directory: Path, receiver_url: str, port: int, *, fast: bool = False
) -> Server:
    config = alertmanager_config(directory, receiver_url, fast=fast)
    return _start(
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        f"http://127.0.0.1:{port}",
        directory / "alertmanager.log",
    )


def prometheus_config(
    directory: Path,
    targets: dict[str, list[str]] | None,
    alertmanager: str,
    port: int,
    interval: str | None,
    scrape_interval: str | None = None,
) -> Path:
    """The committed prometheus.yml and rules in ``directory``, with the targets of `make up`
    (observability/prometheus/targets) or the given ones, and optionally a short interval
    (scrapes, their timeout and rule evaluation). ``scrape_interval`` sets the scrapes and their
    timeout apart: a scrape runs the readiness check, whose database deadline is 2 s, so a
    timeout under that turns a slow database into a failed scrape instead of conveyor_ready 0."""
    directory.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    if interval:
        config["global"].update(
            scrape_interval=interval, scrape_timeout=interval, evaluation_interval=interval
        )
    if scrape_interval:
        config["global"].update(scrape_interval=scrape_interval, scrape_timeout=scrape_interval)
    config["rule_files"] = [str(PROMETHEUS_DIR / "rules" / "*.yaml")]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    jobs["prometheus"]["static_configs"] = [{"targets": [f"127.0.0.1:{port}"]}]
    shutil.rmtree(directory / "targets", ignore_errors=True)
    shutil.copytree(PROMETHEUS_DIR / "targets", directory / "targets")
    chosen = {**(targets or {}), "alertmanager": [alertmanager.split("//", 1)[1]]}
    for name, instances in chosen.items():
        (directory / "targets" / f"{name}.yaml").write_text(yaml.safe_dump([{"targets": instances}]))
    path = directory / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def start_prometheus(
    binary: str,
    directory: Path,
    alertmanager: str,
    port: int,
    *,
    targets: dict[str, list[str]] | None = None,
    interval: str | None = None,
    scrape_interval: str | None = None,
) -> Server:
    config = prometheus_config(directory, targets, alertmanager, port, interval, scrape_interval)
    return _start(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={directory / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        f"http://127.0.0.1:{port}",
        directory / "prometheus.log",
    )


@dataclass(frozen=True)
class PipelinePorts:
    """Loopback ports of the logs and traces pipeline (defaults: `make observability-up`)."""

    otlp_grpc: int = 4317
    otlp_http: int = 4318
    collector_prometheus: int = 8889
    collector_telemetry: int = 8888
    jaeger_otlp: int = 14317
    jaeger_query: int = 16686
    jaeger_query_grpc: int = 16685
    victorialogs: int = 9428


def start_victorialogs(binary: str, directory: Path, port: int) -> Server:
    """VictoriaLogs, the log store: OTLP logs in at /insert/opentelemetry/v1/logs, LogsQL out
    at /select/logsql/query."""
    return _start(
        [
            binary,
            f"-httpListenAddr=127.0.0.1:{port}",
            f"-storageDataPath={directory / 'data'}",
            "-loggerLevel=WARN",
        ],
        f"http://127.0.0.1:{port}",
        directory / "victorialogs.log",
        ready="/health",
    )


def start_jaeger(binary: str, directory: Path, ports: PipelinePorts) -> Server:
    """Jaeger v2 with observability/jaeger/config.yaml: the trace store (in memory), fed OTLP
    by the collector, traces by id at /api/traces/{id}."""
    env = {
        "JAEGER_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{ports.jaeger_otlp}",
        "JAEGER_QUERY_HTTP_ENDPOINT": f"127.0.0.1:{ports.jaeger_query}",
        "JAEGER_QUERY_GRPC_ENDPOINT": f"127.0.0.1:{ports.jaeger_query_grpc}",
    }
    return _start(
        [binary, f"--config={JAEGER_CONFIG}"],
        f"http://127.0.0.1:{ports.jaeger_query}",
        directory / "jaeger.log",
        timeout=60,
        ready="/api/services",
        env=env,
    )


def collector_env(ports: PipelinePorts, log_files: str, **settings: str) -> dict[str, str]:
    """The environment observability/otel-collector/config.yaml reads its addresses from;
    ``settings`` sets others it reads (OTELCOL_DECISION_WAIT, OTELCOL_FILELOG_START_AT, ...)."""
    return {
        "OTELCOL_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{ports.otlp_grpc}",
        "OTELCOL_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{ports.otlp_http}",
        "OTELCOL_PROMETHEUS_ENDPOINT": f"127.0.0.1:{ports.collector_prometheus}",
        "OTELCOL_TELEMETRY_PORT": str(ports.collector_telemetry),
        "JAEGER_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{ports.jaeger_otlp}",
        "VICTORIALOGS_URL": f"http://127.0.0.1:{ports.victorialogs}",
        "CONVEYOR_LOG_FILES": log_files,
        **settings,
    }


def start_collector(binary: str, directory: Path, env: dict[str, str]) -> Server:
    """The collector with the committed config; ready once its OTLP/HTTP receiver listens (it
    starts receivers last, after the exporters they feed). The URL is that receiver's."""
    otlp_http = f"http://{env['OTELCOL_OTLP_HTTP_ENDPOINT']}"
    return _start(
        [binary, f"--config={COLLECTOR_CONFIG}"],
        otlp_http,
        directory / "otelcol.log",
        timeout=60,
        ready="/v1/traces",
        ready_status=405,  # the receiver answers GET with "method not allowed": it is up
        env=env,
    )


def _print_notification(path: str, body: dict[str, Any]) -> None:
    if path == "/pagerduty":
        print(f"PAGE {body.get('event_action')}: {body.get('payload', {}).get('summary')}", flush=True)
    elif path == "/slack":
        print(f"TICKET: {body.get('attachments', [{}])[0].get('title')}", flush=True)


def main() -> int:
    prometheus_bin = shutil.which("prometheus")
    built = {
        name: TOOLS_BIN / name for name in ("alertmanager", "otelcol-conveyor", "jaeger", "victoria-logs")
    }
    missing = [name for name, path in built.items() if not path.exists()]
    if not prometheus_bin or missing:
        print(
            f"observability-up: missing {missing or ['prometheus']}: run `make observability-tools`",
            file=sys.stderr,
        )
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    ports = PipelinePorts()
    # `make up` writes each process's JSON lines to .conveyor/logs/<process>.log.
    logs = str(REPO / ".conveyor" / "logs" / "*.log")
    servers: list[Server] = []
    with receiver(_print_notification) as (receiver_url, _):
        try:
            alertmanager = start_alertmanager(
                str(built["alertmanager"]), RUN_DIR / "alertmanager", receiver_url, 9093
            )
            servers.append(alertmanager)
            servers.append(start_prometheus(prometheus_bin, RUN_DIR / "prometheus", alertmanager.url, 9090))
            victorialogs = start_victorialogs(
                str(built["victoria-logs"]), RUN_DIR / "victorialogs", ports.victorialogs
            )
            servers.append(victorialogs)
            jaeger = start_jaeger(str(built["jaeger"]), RUN_DIR / "jaeger", ports)
            servers.append(jaeger)
            env = collector_env(ports, logs)
            servers.append(start_collector(str(built["otelcol-conveyor"]), RUN_DIR / "otelcol", env))
            vl, otlp = victorialogs.url, f"http://127.0.0.1:{ports.otlp_http}"
            print(
                "Prometheus     http://127.0.0.1:9090  (alerts: http://127.0.0.1:9090/alerts)\n"
                f"Alertmanager   {alertmanager.url}\n"
                f"Jaeger (UI)    {jaeger.url}  (a trace by id: {jaeger.url}/api/traces/<trace_id>)\n"
                f"VictoriaLogs   {vl}/select/vmui  (LogsQL: {vl}/select/logsql/query)\n"
                f"Collector      OTLP {otlp} (HTTP), 127.0.0.1:{ports.otlp_grpc} (gRPC); tailing {logs}\n"
                "Scraping the processes of `make up` on their default ports; for traces start them\n"
                f"with OTEL_EXPORTER_OTLP_ENDPOINT={otlp}. Notifications print below. Ctrl-C stops.",
                flush=True,
            )
            while not stop.wait(1):
                for server in servers:
                    if server.popen.poll() is not None:
                        print(f"{server.log.name} exited:\n{server.output()}", file=sys.stderr)
                        stop.set()
        except KeyboardInterrupt:
            pass
        finally:
            for server in reversed(servers):
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

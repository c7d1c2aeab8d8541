"""The logs and traces pipeline, live: Conveyor's OpenTelemetry Collector (built by ocb from
observability/otel-collector/builder-config.yaml) running the committed config, Jaeger as the
trace store and VictoriaLogs as the log store, all on loopback (ADR 0502, 0503).

- Both configs are accepted by their binaries' own `validate`, and a broken one is refused.
- A log line pushed as OTLP, and one written to a watched log file, are read back by LogsQL.
- Traces sent as OTLP: one with an error and one that is slow are fetched from Jaeger by id; a
  fast trace without an error is dropped by tail sampling.
- A real api and worker export to the collector: one submitted job's API span and worker span
  are one trace in Jaeger, and the worker's log lines, collected from its log file, carry that
  trace_id in VictoriaLogs.

Test profile: a 5 s tail-sampling decision wait and short batches (production: 30 s, 5 s).
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from scripts.observability.stack import (
    COLLECTOR_CONFIG,
    JAEGER_CONFIG,
    PipelinePorts,
    Server,
    collector_env,
    start_collector,
    start_jaeger,
    start_victorialogs,
)

from tests.conftest import truncate
from tests.observability.conftest import tool
from tests.support import Process, admin_key, free_port, process_env, wait_until

pytestmark = pytest.mark.timeout(300)

MANIFEST = COLLECTOR_CONFIG.parent / "builder-config.yaml"
TEST_PROFILE = {
    "OTELCOL_DECISION_WAIT": "5s",
    "OTELCOL_BATCH_TIMEOUT": "200ms",
    "OTELCOL_FILELOG_START_AT": "beginning",
}


@dataclass
class Pipeline:
    ports: PipelinePorts
    logs: Path  # the folder whose *.log files the collector tails
    collector: Server
    jaeger: Server
    victorialogs: Server

    @property
    def otlp_http(self) -> str:
        return f"http://127.0.0.1:{self.ports.otlp_http}"

    def trace(self, trace_id: str) -> dict[str, Any] | None:
        """The trace from Jaeger by id, or None while it has none."""
        response = httpx.get(f"{self.jaeger.url}/api/traces/{trace_id}", timeout=10)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        [found] = response.json()["data"]
        return dict(found)

    def spans(self, trace_id: str) -> set[tuple[str, str]]:
        """(service, operation) of each span of the trace in Jaeger."""
        found = self.trace(trace_id)
        if not found:
            return set()
        services = {key: p["serviceName"] for key, p in found["processes"].items()}
        return {(services[s["processID"]], s["operationName"]) for s in found["spans"]}

    def logs_query(self, logsql: str) -> list[dict[str, Any]]:
        """Records VictoriaLogs returns for a LogsQL query (one JSON object per line)."""
        response = httpx.post(
            f"{self.victorialogs.url}/select/logsql/query", data={"query": logsql}, timeout=10
        )
        response.raise_for_status()
        return [json.loads(line) for line in response.text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    directory = tmp_path_factory.mktemp("pipeline")
    logs = directory / "logs"
    logs.mkdir()
    ports = PipelinePorts(*(free_port() for _ in range(8)))
    started: list[Server] = []
    try:
        victorialogs = start_victorialogs(
            tool("victoria-logs"), directory / "victorialogs", ports.victorialogs
        )
        started.append(victorialogs)
        jaeger = start_jaeger(tool("jaeger"), directory / "jaeger", ports)
        started.append(jaeger)
        env = collector_env(ports, str(logs / "*.log"), **TEST_PROFILE)
        collector = start_collector(tool("otelcol-conveyor"), directory / "otelcol", env)
        started.append(collector)
        yield Pipeline(ports, logs, collector, jaeger, victorialogs)
    finally:
        for server in reversed(started):
            server.stop()


def validate(binary: str, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary, "validate", f"--config={config}"], capture_output=True, text=True, timeout=120
    )


def test_the_collector_and_jaeger_accept_their_committed_configs() -> None:
    for binary, config in ((tool("otelcol-conveyor"), COLLECTOR_CONFIG), (tool("jaeger"), JAEGER_CONFIG)):
        result = validate(binary, config)
        assert result.returncode == 0, f"{config}: {result.stdout}{result.stderr}"


def test_the_collector_refuses_a_component_it_was_not_built_with(tmp_path: Path) -> None:
    broken = tmp_path / "config.yaml"
    text = COLLECTOR_CONFIG.read_text()
    broken.write_text(text.replace("[otlp_grpc/jaeger, debug]", "[otlp_grpc/jaeger, loki]"))
    assert broken.read_text() != text
    result = validate(tool("otelcol-conveyor"), broken)
    assert result.returncode != 0
    assert "loki" in result.stderr


def test_the_collector_is_built_at_one_release_with_the_receivers_and_processors_it_uses() -> None:
    """The manifest pins every component to one release and the binary is that build; the
    receivers and processors built in are exactly those the config uses (a minimal build).
    (v0.148.0's `components` listing leaves out the aliased otlp exporters, so exporters are
    checked by `validate` above instead.)"""
    manifest = yaml.safe_load(MANIFEST.read_text())
    release = manifest["dist"]["version"]
    pins = [m["gomod"] for kind in ("receivers", "processors", "exporters") for m in manifest[kind]]
    assert all(pin.endswith(f" v{release}") for pin in pins), pins
    listing = subprocess.run(
        [tool("otelcol-conveyor"), "components"], capture_output=True, text=True, check=True, timeout=60
    )
    built = yaml.safe_load(listing.stdout)
    assert built["buildinfo"]["version"] == release, "stale binary: run `make tools`"
    config = yaml.safe_load(COLLECTOR_CONFIG.read_text())
    for kind in ("receivers", "processors"):
        assert {c["name"] for c in built[kind]} == {name.split("/")[0] for name in config[kind]}, kind


def now_ns(offset_seconds: float = 0) -> str:
    return str(int((time.time() + offset_seconds) * 1e9))


def otlp_trace(trace_id: str, *, error: bool, seconds: float) -> dict[str, Any]:
    """One span of ``seconds`` as OTLP/JSON, with an error status or none."""
    span = {
        "traceId": trace_id,
        "spanId": secrets.token_hex(8),
        "name": "pipeline-probe",
        "kind": 2,
        "startTimeUnixNano": now_ns(-seconds),
        "endTimeUnixNano": now_ns(),
        "status": {"code": 2, "message": "probe failed"} if error else {},
    }
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "pipeline-test"}}]}
    return {
        "resourceSpans": [
            {"resource": resource, "scopeSpans": [{"scope": {"name": "test"}, "spans": [span]}]}
        ]
    }


def test_error_and_slow_traces_are_kept_by_id_and_a_fast_clean_one_is_dropped(pipeline: Pipeline) -> None:
    fast, slow, failed = (secrets.token_hex(16) for _ in range(3))
    for trace_id, error, seconds in ((fast, False, 0.01), (slow, False, 3.0), (failed, True, 0.01)):
        response = httpx.post(
            f"{pipeline.otlp_http}/v1/traces",
            json=otlp_trace(trace_id, error=error, seconds=seconds),
            timeout=10,
        )
        assert response.status_code == 200, response.text
    for kept in (slow, failed):
        wait_until(partial(pipeline.trace, kept), timeout=60, interval=0.5, what=f"trace {kept} in Jaeger")
        assert pipeline.spans(kept) == {("pipeline-test", "pipeline-probe")}
    # Sent first, decided no later than the two kept above: by now it is dropped for good.
    assert pipeline.trace(fast) is None


def test_a_log_line_pushed_as_otlp_is_read_back_with_logsql(pipeline: Pipeline) -> None:
    marker, trace_id = f"probe-{secrets.token_hex(6)}", secrets.token_hex(16)
    record = {
        "timeUnixNano": now_ns(),
        "severityText": "INFO",
        "body": {"stringValue": f"pushed {marker}"},
        "traceId": trace_id,
        "spanId": secrets.token_hex(8),
    }
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "pipeline-test"}}]}
    body = {"resourceLogs": [{"resource": resource, "scopeLogs": [{"scope": {}, "logRecords": [record]}]}]}
    assert httpx.post(f"{pipeline.otlp_http}/v1/logs", json=body, timeout=10).status_code == 200
    [found] = wait_until(
        lambda: pipeline.logs_query(f'trace_id:"{trace_id}"'), timeout=60, interval=0.5, what="the line"
    )
    assert found["_msg"] == f"pushed {marker}"
    assert found["service.name"] == "pipeline-test"


def test_a_json_line_in_a_log_file_is_read_back_with_its_trace_id(pipeline: Pipeline) -> None:
    trace_id = secrets.token_hex(16)
    line = {
        "ts": "2026-12-01T10:00:00.123456Z",
        "level": "warning",
        "event": "probe_written",
        "service": "probe",
        "trace_id": trace_id,
        "span_id": secrets.token_hex(8),
    }
    with (pipeline.logs / "probe.log").open("a") as log:
        log.write("not json: a traceback before logging was set up\n")
        log.write(json.dumps(line) + "\n")
    [found] = wait_until(
        lambda: pipeline.logs_query(f'trace_id:"{trace_id}"'),
        timeout=60,
        interval=0.5,
        what="the file's line",
    )
    assert json.loads(found["_msg"])["event"] == "probe_written"
    assert found["service.name"] == "conveyor-probe"
    assert found["severity_number"] == "13"  # OpenTelemetry's WARN, from "level": "warning"
    assert found["_time"].startswith("2026-12-01T10:00:00.123456")
    # A line that is not JSON passes as it is (it may arrive in another batch: wait for it too).
    unparsed = '"not json: a traceback"'
    wait_until(lambda: pipeline.logs_query(unparsed), timeout=60, interval=0.5, what="the non-JSON line")


def test_one_job_is_one_trace_from_the_api_to_the_worker_and_its_logs_carry_the_trace_id(
    pipeline: Pipeline, database_url: str
) -> None:
    truncate(database_url)
    env = process_env(
        database_url,
        OTEL_EXPORTER_OTLP_ENDPOINT=pipeline.otlp_http,
        OTEL_BSP_SCHEDULE_DELAY="100",
        CONVEYOR_WORKER_POLL_INTERVAL="0.2",
    )
    started: list[Process] = []
    try:
        for command in ("api", "worker"):
            port = free_port()
            started.append(
                Process([command, "--port", str(port)], env, pipeline.logs / f"{command}.log", port).start()
            )
        api, _ = (process.wait_ready(timeout=90) for process in started)
        client = httpx.Client(
            base_url=f"{api.base_url}/api/v1",
            headers={"Authorization": f"Bearer {admin_key(database_url)}"},
            timeout=10,
        )
        # A job that fails for good: its error keeps the trace through tail sampling.
        job = client.post(
            "/jobs", json={"type": "fail", "payload": {"retryable": False}, "max_attempts": 1}
        ).json()
        trace_id = job["trace_id"]
        assert trace_id, job
        expected = {("conveyor-api", "POST /api/v1/jobs"), ("conveyor-worker", "job fail")}
        wait_until(
            lambda: expected <= pipeline.spans(trace_id),
            timeout=90,
            interval=0.5,
            what="both spans in one trace",
        )
        lines = wait_until(
            lambda: pipeline.logs_query(f'trace_id:"{trace_id}" AND service.name:"conveyor-worker"'),
            timeout=60,
            interval=0.5,
            what="the worker's lines of the trace in VictoriaLogs",
        )
        events = {json.loads(line["_msg"])["event"] for line in lines}
        assert "job_attempt_failed" in events
        assert all(json.loads(line["_msg"])["job_id"] == job["id"] for line in lines)
    finally:
        for process in reversed(started):
            process.stop()

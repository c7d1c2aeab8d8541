"""Traces leave the process only when OTEL_EXPORTER_OTLP_ENDPOINT is set, and a job's span in
the worker process joins the trace of the API request that submitted it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.support import Received, Recorder, all_ready, recording_receiver, wait_until


def spans(received: list[Received]) -> list[dict[str, Any]]:
    """The spans in what the real OTLP/HTTP exporter sent to /v1/traces, decoded."""
    found = []
    for export in received:
        assert export.path == "/v1/traces", export.path
        request = ExportTraceServiceRequest()
        request.ParseFromString(export.body)
        for resource_spans in request.resource_spans:
            service = next(
                a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"
            )
            for scope in resource_spans.scope_spans:
                found += [
                    {
                        "service": service,
                        "name": span.name,
                        "trace_id": span.trace_id.hex(),
                        "span_id": span.span_id.hex(),
                        "parent": span.parent_span_id.hex(),
                    }
                    for span in scope.spans
                ]
    return found


@pytest.fixture
def collector() -> Iterator[Recorder]:
    with recording_receiver(lambda _request, _before: (200, {}, b"")) as recorder:
        yield recorder


@pytest.mark.slow
def test_job_span_joins_the_request_trace_across_processes(
    spawn: Any, collector: Recorder, admin_key: str
) -> None:
    otel = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.url, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    api = spawn("api", env=otel)
    all_ready(api, spawn("worker", env={**otel, "CONVEYOR_WORKER_POLL_INTERVAL": "0.2"}))
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    response = httpx.post(
        f"{api.base_url}/api/v1/jobs",
        json={"type": "noop"},
        headers={"Authorization": f"Bearer {admin_key}", "traceparent": traceparent},
    )
    assert response.json()["trace_id"] == "0af7651916cd43dd8448eb211c80319c"

    def chain() -> list[str] | None:
        """Names from the job span up to the remote parent, once all of them are exported."""
        exported = spans(collector.received)
        by_id = {s["span_id"]: s for s in exported}
        job = next((s for s in exported if s["name"] == "job noop"), None)
        names, span = [], job
        while span is not None:
            names.append(f"{span['service']}:{span['name']}")
            if span["parent"] == "b7ad6b7169203331":
                return names
            span = by_id.get(span["parent"])
        return None

    names = wait_until(chain, timeout=30, interval=0.1, what="the job's span chain to be exported")
    # worker job span <- api endpoint span(s) <- api server span <- the caller's span
    assert names[0] == "conveyor-worker:job noop"
    assert names[-1] == "conveyor-api:POST /api/v1/jobs"
    assert all(name.startswith("conveyor-api:") for name in names[1:])
    assert {
        s["trace_id"] for s in spans(collector.received) if s["name"] in ("job noop", "POST /api/v1/jobs")
    } == {"0af7651916cd43dd8448eb211c80319c"}


def test_nothing_is_exported_without_the_endpoint(spawn: Any, collector: Recorder, admin_key: str) -> None:
    # The exporter would honour the per-signal endpoint; the switch is the general one alone.
    api = spawn("api", env={"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{collector.url}/v1/traces"}).wait_ready()
    httpx.post(
        f"{api.base_url}/api/v1/jobs", json={"type": "noop"}, headers={"Authorization": f"Bearer {admin_key}"}
    )
    api.stop()
    assert collector.received == []

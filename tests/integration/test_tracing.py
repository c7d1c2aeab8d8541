"""The W3C trace context travels with the job: the worker's span joins the submitter's trace."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from conveyor.engine.jobs import Jobs
from conveyor.engine.models import JobSpec
from tests.support import eventually


async def test_worker_span_joins_the_submitting_trace(jobs: Jobs, start_worker: Any) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    # The engine's module-level tracer proxies to the global provider, set once per process.
    trace.set_tracer_provider(provider)

    with tracer.start_as_current_span("POST /api/v1/jobs") as request_span:
        [(job, _)] = await jobs.enqueue([JobSpec(type="noop")])
    submitted = request_span.get_span_context()
    assert job.trace_id == format(submitted.trace_id, "032x")

    start_worker()

    async def job_span() -> Any:
        return next((s for s in exporter.get_finished_spans() if s.name == "job noop"), None)

    span = await eventually(job_span, what="the job's span")
    assert span.context.trace_id == submitted.trace_id
    assert span.parent is not None and span.parent.span_id == submitted.span_id
    assert span.attributes["conveyor.job.id"] == job.id

"""OpenTelemetry tracing, exported only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set.

The W3C trace context of the submitting request is stored on the job (``trace_context``)
and restored by the worker, so the job's span joins the submitter's trace.
"""

from __future__ import annotations

import os
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

tracer = trace.get_tracer("conveyor")


def configure_tracing(service: str) -> TracerProvider | None:
    """Install an SDK provider exporting OTLP/HTTP when the endpoint is configured."""
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", f"conveyor-{service}")})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def current_trace_context() -> dict[str, str] | None:
    """The active context as W3C headers to store on a job, or None outside any trace."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier or None


def context_from(carrier: dict[str, Any] | None) -> context.Context:
    return propagate.extract(carrier or {})

"""Admission of outbound destinations at submission: an ``http`` job (or a schedule's ``http``
template) whose URL names a literal private, loopback or metadata address is refused with 422,
as webhook registration refuses its endpoints, instead of being accepted and dying at run time.

Only literal addresses are judged here: a host name is resolved when the job runs (what it
resolves to then is what counts), and the run-time guard checks every connection and redirect
hop in any case (handlers/outbound.py).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from pydantic import AnyHttpUrl, ValidationError

from conveyor.api.problems import Problem
from conveyor.engine.models import JobSpec
from conveyor.handlers.destinations import AllowList, refusal_reason
from conveyor.settings import Settings


def literal_refusal(url: Any, allow: AllowList) -> str | None:
    """Why ``url`` would be refused at run time when its host is a literal IP address, or None."""
    if not isinstance(url, str):
        return None  # the payload's own validation names a missing or malformed URL
    try:
        parsed = AnyHttpUrl(url)
    except ValidationError:
        return None
    host = (parsed.host or "").strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None  # a name: resolved and guarded when the job runs
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    reason = refusal_reason(address)
    if reason is None or allow.allows_address(address, port) or allow.allows_host(host, port):
        return None
    return f"{host} is {reason}; allow it with CONVEYOR_HTTP_ALLOW if intended"


def refuse_private_http_targets(specs: Iterable[tuple[str, JobSpec]], settings: Settings) -> None:
    """Raise 422 naming each ``<prefix>payload.url`` of an ``http`` job that names a refused address."""
    allow = AllowList(settings.http_allow_list)
    errors = [
        {"field": f"{prefix}payload.url", "message": reason}
        for prefix, spec in specs
        if spec.type == "http" and (reason := literal_refusal(spec.payload.get("url"), allow))
    ]
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise Problem(422, detail, slug="validation", errors=errors)

"""The internal ``webhook`` job type: one delivery of one event to one endpoint.

Signed per Standard Webhooks: ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``). During a secret rotation's grace period
the header carries a signature with each secret, so receivers can switch at their own pace.
Endpoint URL and secret are read at delivery time: a disabled or deleted endpoint is skipped,
and a rotated secret applies to retries too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from conveyor import flags
from conveyor.handlers.destinations import AllowList
from conveyor.handlers.http import HttpRequest, send
from conveyor.handlers.registry import JobContext, JobError, PermanentError, Registry
from conveyor.settings import get_settings
from conveyor.store import webhooks
from conveyor.telemetry import metrics

registry = Registry()
WEBHOOK_QUEUE = "conveyor.webhooks"


class Delivery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    endpoint_id: int
    event_id: str
    event_type: str
    timestamp: datetime
    data: dict[str, Any]


def signature(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signing_secrets(endpoint: dict[str, Any], now: datetime) -> list[str]:
    keys = [endpoint["secret"]]
    if (
        endpoint["previous_secret"]
        and endpoint["previous_expires_at"]
        and endpoint["previous_expires_at"] > now
    ):
        keys.append(endpoint["previous_secret"])
    return keys


@registry.handler("webhook")
async def deliver(payload: Delivery, ctx: JobContext) -> dict[str, Any]:
    if ctx.pool is None:
        raise PermanentError("webhook deliveries need the worker's database pool")
    if not flags.enabled(flags.Flag.WEBHOOK_DELIVERIES):
        # The kill switch holds deliveries: retried later like a refused endpoint, never dropped.
        metrics.webhook_deliveries.labels("held").inc()
        raise JobError(
            "webhook deliveries are switched off (flag webhook-deliveries)", retry_after=60, kind="held"
        )
    endpoint = await webhooks.get(ctx.pool, payload.endpoint_id)
    if endpoint is None or not endpoint["enabled"]:
        metrics.webhook_deliveries.labels("skipped").inc()
        return {"skipped": "endpoint deleted or disabled"}
    body = json.dumps(
        {
            "type": payload.event_type,
            "timestamp": payload.timestamp.astimezone(UTC).isoformat(),
            "data": payload.data,
        },
        separators=(",", ":"),
    )
    timestamp = int(time.time())
    signatures = " ".join(
        signature(s, payload.event_id, timestamp, body) for s in signing_secrets(endpoint, datetime.now(UTC))
    )
    request = HttpRequest.model_validate(
        {
            "url": endpoint["url"],
            "method": "POST",
            "timeout_seconds": 15,
            "headers": {
                "content-type": "application/json",
                "webhook-id": payload.event_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": signatures,
                "user-agent": "Conveyor-Webhooks/1",
            },
        }
    )
    settings = get_settings()
    try:
        result = await send(
            request,
            AllowList(settings.http_allow_list),
            max_body_bytes=settings.http_max_response_bytes,
            raw_body=body.encode(),
        )
    except JobError as exc:
        metrics.webhook_deliveries.labels(exc.kind).inc()
        raise
    metrics.webhook_deliveries.labels("delivered").inc()
    return result

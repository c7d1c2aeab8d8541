"""/api/v1/webhooks: endpoints that receive signed job events, their deliveries, test sends."""

from __future__ import annotations

import ipaddress
import socket
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import AnyHttpUrl

from conveyor.api import API_PREFIX
from conveyor.api.deps import CanReadWebhooks, CanWriteWebhooks, PoolDep, SettingsDep
from conveyor.api.idempotency import Replay, idempotent
from conveyor.api.models.webhooks import Webhook, WebhookCreate, WebhookUpdate, WebhookWithSecret
from conveyor.api.pagination import Page, PageQueryDep
from conveyor.api.params import IdPath
from conveyor.api.problems import IDEMPOTENT_RESPONSES, PROBLEM_RESPONSES, Problem
from conveyor.engine.models import Job
from conveyor.handlers.destinations import AllowList, refusal_reason
from conveyor.settings import Settings
from conveyor.store import webhooks
from conveyor.store.users import Principal

router = APIRouter(prefix=API_PREFIX, tags=["webhooks"], responses=PROBLEM_RESPONSES)


def check_destination(url: str, settings: Settings) -> None:
    """Refuse at once an endpoint the outbound guard would refuse at delivery (SSRF)."""
    parsed = AnyHttpUrl(url)
    host, port = parsed.host or "", parsed.port or (443 if parsed.scheme == "https" else 80)
    allow = AllowList(settings.http_allow_list)
    if allow.allows_host(host, port):
        return
    try:
        addresses = {
            info[4][0] for info in socket.getaddrinfo(host.strip("[]"), None, type=socket.SOCK_STREAM)
        }
    except OSError:
        raise Problem(
            422,
            f"url: cannot resolve host {host!r}",
            slug="validation",
            errors=[{"field": "url", "message": f"cannot resolve host {host!r}"}],
        ) from None
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%")[0])
        reason = refusal_reason(ip)
        if reason and not allow.allows_address(ip, port):
            message = f"{host} resolves to {ip}, {reason}; allow it with CONVEYOR_HTTP_ALLOW if intended"
            raise Problem(
                422, f"url: {message}", slug="validation", errors=[{"field": "url", "message": message}]
            )


def _found(row: dict[str, Any] | None, endpoint_id: int) -> dict[str, Any]:
    if row is None:
        raise Problem(404, f"webhook {endpoint_id} does not exist", slug="not-found")
    return row


async def _current_webhook(request: Request, _: Principal, endpoint_id: int) -> WebhookWithSecret | None:
    # The current secret, as GET /webhooks/{id}/secret shows it to the same role.
    row = await webhooks.get(request.app.state.pool, endpoint_id)
    return WebhookWithSecret.from_row(row) if row else None


@router.post("/webhooks", status_code=201, response_model=WebhookWithSecret, responses=IDEMPOTENT_RESPONSES)
async def create_webhook(
    body: WebhookCreate,
    pool: PoolDep,
    settings: SettingsDep,
    principal: CanWriteWebhooks,
    _idempotent: Annotated[None, idempotent(Replay("webhook", _current_webhook))],
) -> WebhookWithSecret:
    check_destination(str(body.url), settings)
    row = await webhooks.create(
        pool,
        url=str(body.url),
        events=list(body.events),
        description=body.description,
        enabled=body.enabled,
        created_by=principal.user_id,
    )
    return WebhookWithSecret.from_row(row)


@router.get("/webhooks", response_model=list[Webhook])
async def list_webhooks(pool: PoolDep, _: CanReadWebhooks) -> list[Webhook]:
    return [Webhook.from_row(r) for r in await webhooks.all_endpoints(pool)]


@router.get("/webhooks/{endpoint_id}", response_model=Webhook)
async def get_webhook(endpoint_id: IdPath, pool: PoolDep, _: CanReadWebhooks) -> Webhook:
    return Webhook.from_row(_found(await webhooks.get(pool, endpoint_id), endpoint_id))


@router.get("/webhooks/{endpoint_id}/secret", response_model=WebhookWithSecret)
async def reveal_secret(endpoint_id: IdPath, pool: PoolDep, _: CanWriteWebhooks) -> WebhookWithSecret:
    return WebhookWithSecret.from_row(_found(await webhooks.get(pool, endpoint_id), endpoint_id))


@router.patch("/webhooks/{endpoint_id}", response_model=Webhook)
async def update_webhook(
    endpoint_id: IdPath, body: WebhookUpdate, pool: PoolDep, settings: SettingsDep, _: CanWriteWebhooks
) -> Webhook:
    changes: dict[str, Any] = body.model_dump(exclude_unset=True, mode="json")
    if changes.get("url"):
        check_destination(changes["url"], settings)
    return Webhook.from_row(_found(await webhooks.update(pool, endpoint_id, changes), endpoint_id))


@router.delete("/webhooks/{endpoint_id}", status_code=204)
async def delete_webhook(endpoint_id: IdPath, pool: PoolDep, _: CanWriteWebhooks) -> Response:
    if not await webhooks.delete(pool, endpoint_id):
        raise Problem(404, f"webhook {endpoint_id} does not exist", slug="not-found")
    return Response(status_code=204)


@router.post("/webhooks/{endpoint_id}/rotate-secret", response_model=WebhookWithSecret)
async def rotate_secret(
    endpoint_id: IdPath, pool: PoolDep, settings: SettingsDep, _: CanWriteWebhooks
) -> WebhookWithSecret:
    row = await webhooks.rotate_secret(pool, endpoint_id, settings.webhook_rotation_grace)
    return WebhookWithSecret.from_row(_found(row, endpoint_id))


@router.post("/webhooks/{endpoint_id}/test", status_code=202, response_model=Job)
async def send_test_delivery(endpoint_id: IdPath, pool: PoolDep, _: CanWriteWebhooks) -> Job:
    """Send a `webhook.test` event now; the returned job is the delivery."""
    _found(await webhooks.get(pool, endpoint_id), endpoint_id)
    return Job.from_row(await webhooks.enqueue_test(pool, endpoint_id))


@router.get("/webhooks/{endpoint_id}/deliveries", response_model=Page[Job])
async def deliveries(
    endpoint_id: IdPath,
    pool: PoolDep,
    _: CanReadWebhooks,
    page: PageQueryDep,
) -> Page[Job]:
    _found(await webhooks.get(pool, endpoint_id), endpoint_id)
    rows = await webhooks.deliveries(pool, endpoint_id, before_id=page.last_id, limit=page.limit)
    items = [Job.from_row(r) for r in rows]
    return Page[Job](items=items, next_cursor=page.next_cursor(items))

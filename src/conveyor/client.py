"""Typed Python clients for the Conveyor API: ``Client`` (sync) and ``AsyncClient``.

    from conveyor.client import Client

    with Client("http://127.0.0.1:8000", api_key) as conveyor:
        job = conveyor.submit({"type": "echo", "payload": {"hi": 1}}, idempotency_key="order-42")
        print(conveyor.get_job(job.id).state)

Responses are the API's own pydantic models. Errors raise ``ApiError`` carrying the RFC 9457
problem the API returned. Both clients share one description of every call (``Call``), so
they cannot drift apart; any call in ``Calls`` can also be made with ``client.call(...)``.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from conveyor.api.models.analytics import Analytics
from conveyor.api.models.dead_letter import Replayed
from conveyor.api.models.jobs import BatchResult
from conveyor.api.models.queues import Queue as QueueInfo
from conveyor.api.models.queues import QueueStats
from conveyor.api.models.schedules import Preview
from conveyor.api.models.sessions import Session
from conveyor.api.models.users import ApiKey, ApiKeyCreated, User
from conveyor.api.models.webhooks import Webhook, WebhookWithSecret
from conveyor.api.models.workers import WorkerInfo
from conveyor.api.pagination import Page
from conveyor.engine.models import Job, JobEvent
from conveyor.engine.schedules import Schedule

T = TypeVar("T")
Body = BaseModel | Mapping[str, Any]


class ApiError(Exception):
    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        detail = problem.get("detail") or problem.get("title") or "error"
        super().__init__(f"{status}: {detail}")


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API call: the request to send and how to read its answer."""

    method: str
    path: str
    parse: Callable[[Any], T]
    json: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def request(self) -> dict[str, Any]:
        """httpx request arguments. The body is JSON with non-ASCII escaped: text a caller got
        from somewhere undecodable (a lone surrogate from a command line's bytes) reaches the
        API, which refuses it naming the field, instead of failing to encode here."""
        headers = dict(self.headers)
        content = None
        if self.json is not None:
            content = json.dumps(self.json).encode()
            headers["Content-Type"] = "application/json"
        return {"content": content, "params": self.params, "headers": headers}

    def read(self, response: httpx.Response) -> T:
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"detail": response.text[:500]}
            raise ApiError(response.status_code, problem)
        return self.parse(response.json() if response.content else None)


def _as(model: Any) -> Callable[[Any], Any]:
    adapter: TypeAdapter[Any] = TypeAdapter(model)
    return adapter.validate_python


def _body(value: Body) -> Any:
    return value.model_dump(mode="json", exclude_none=True) if isinstance(value, BaseModel) else dict(value)


def _nothing(_: Any) -> None:
    return None


class Calls:
    """Every call the clients make, built in one place."""

    @staticmethod
    def submit(job: Body, idempotency_key: str | None = None) -> Call[Job]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return Call("POST", "/jobs", _as(Job), json=_body(job), headers=headers)

    @staticmethod
    def submit_batch(jobs: list[Body]) -> Call[BatchResult]:
        return Call("POST", "/jobs/batch", _as(BatchResult), json={"jobs": [_body(j) for j in jobs]})

    @staticmethod
    def list_jobs(**filters: Any) -> Call[Page[Job]]:
        params = {k: v for k, v in filters.items() if v is not None}
        return Call("GET", "/jobs", _as(Page[Job]), params=params)

    @staticmethod
    def get_job(job_id: int) -> Call[Job]:
        return Call("GET", f"/jobs/{job_id}", _as(Job))

    @staticmethod
    def job_events(job_id: int) -> Call[list[JobEvent]]:
        return Call("GET", f"/jobs/{job_id}/events", _as(list[JobEvent]))

    @staticmethod
    def cancel(job_id: int) -> Call[Job]:
        return Call("POST", f"/jobs/{job_id}/cancel", _as(Job))

    @staticmethod
    def retry(job_id: int) -> Call[Job]:
        return Call("POST", f"/jobs/{job_id}/retry", _as(Job))

    @staticmethod
    def replay_dead(**filters: Any) -> Call[Replayed]:
        return Call(
            "POST", "/dead-letter/replay", _as(Replayed), json={k: v for k, v in filters.items() if v}
        )

    @staticmethod
    def queues() -> Call[list[QueueStats]]:
        return Call("GET", "/queues", _as(list[QueueStats]))

    @staticmethod
    def pause_queue(name: str) -> Call[QueueInfo]:
        return Call("POST", f"/queues/{name}/pause", _as(QueueInfo))

    @staticmethod
    def resume_queue(name: str) -> Call[QueueInfo]:
        return Call("POST", f"/queues/{name}/resume", _as(QueueInfo))

    @staticmethod
    def workers() -> Call[list[WorkerInfo]]:
        return Call("GET", "/workers", _as(list[WorkerInfo]))

    @staticmethod
    def set_queue_limits(
        name: str, concurrency_limit: int | None, rate_limit: float | None
    ) -> Call[QueueInfo]:
        """Both limits at once; None removes one."""
        body = {"concurrency_limit": concurrency_limit, "rate_limit": rate_limit}
        return Call("PATCH", f"/queues/{name}", _as(QueueInfo), json=body)

    @staticmethod
    def create_schedule(schedule: Body) -> Call[Schedule]:
        return Call("POST", "/schedules", _as(Schedule), json=_body(schedule))

    @staticmethod
    def list_schedules(**params: Any) -> Call[Page[Schedule]]:
        return Call("GET", "/schedules", _as(Page[Schedule]), params=params)

    @staticmethod
    def delete_schedule(schedule_id: int) -> Call[None]:
        return Call("DELETE", f"/schedules/{schedule_id}", _nothing)

    @staticmethod
    def trigger_schedule(schedule_id: int) -> Call[Job]:
        return Call("POST", f"/schedules/{schedule_id}/trigger", _as(Job))

    @staticmethod
    def me() -> Call[User]:
        return Call("GET", "/me", _as(User))

    @staticmethod
    def create_user(user: Body) -> Call[User]:
        return Call("POST", "/users", _as(User), json=_body(user))

    @staticmethod
    def issue_key(user_id: int, name: str) -> Call[ApiKeyCreated]:
        return Call("POST", f"/users/{user_id}/api-keys", _as(ApiKeyCreated), json={"name": name})

    @staticmethod
    def dead_letter(**filters: Any) -> Call[Page[Job]]:
        params = {k: v for k, v in filters.items() if v is not None}
        return Call("GET", "/dead-letter", _as(Page[Job]), params=params)

    @staticmethod
    def get_schedule(schedule_id: int) -> Call[Schedule]:
        return Call("GET", f"/schedules/{schedule_id}", _as(Schedule))

    @staticmethod
    def pause_schedule(schedule_id: int) -> Call[Schedule]:
        return Call("POST", f"/schedules/{schedule_id}/pause", _as(Schedule))

    @staticmethod
    def resume_schedule(schedule_id: int) -> Call[Schedule]:
        return Call("POST", f"/schedules/{schedule_id}/resume", _as(Schedule))

    @staticmethod
    def preview_cadence(cron: str, timezone: str = "UTC", count: int = 5) -> Call[Preview]:
        body = {"cron": cron, "timezone": timezone, "count": count}
        return Call("POST", "/schedules/preview", _as(Preview), json=body)

    @staticmethod
    def analytics(**params: Any) -> Call[Analytics]:
        return Call("GET", "/analytics", _as(Analytics), params={k: v for k, v in params.items() if v})

    @staticmethod
    def my_keys() -> Call[list[ApiKey]]:
        return Call("GET", "/me/api-keys", _as(list[ApiKey]))

    @staticmethod
    def create_my_key(name: str, expires_at: str | None = None) -> Call[ApiKeyCreated]:
        body = {"name": name, **({"expires_at": expires_at} if expires_at else {})}
        return Call("POST", "/me/api-keys", _as(ApiKeyCreated), json=body)

    @staticmethod
    def revoke_my_key(key_id: int) -> Call[ApiKey]:
        return Call("DELETE", f"/me/api-keys/{key_id}", _as(ApiKey))

    @staticmethod
    def list_users(**params: Any) -> Call[Page[User]]:
        return Call("GET", "/users", _as(Page[User]), params=params)

    @staticmethod
    def update_user(user_id: int, changes: Body) -> Call[User]:
        return Call("PATCH", f"/users/{user_id}", _as(User), json=_body(changes))

    @staticmethod
    def list_webhooks() -> Call[list[Webhook]]:
        return Call("GET", "/webhooks", _as(list[Webhook]))

    @staticmethod
    def get_webhook(endpoint_id: int) -> Call[Webhook]:
        return Call("GET", f"/webhooks/{endpoint_id}", _as(Webhook))

    @staticmethod
    def create_webhook(endpoint: Body) -> Call[WebhookWithSecret]:
        return Call("POST", "/webhooks", _as(WebhookWithSecret), json=_body(endpoint))

    @staticmethod
    def delete_webhook(endpoint_id: int) -> Call[None]:
        return Call("DELETE", f"/webhooks/{endpoint_id}", _nothing)

    @staticmethod
    def test_webhook(endpoint_id: int) -> Call[Job]:
        return Call("POST", f"/webhooks/{endpoint_id}/test", _as(Job))

    @staticmethod
    def webhook_deliveries(endpoint_id: int, cursor: str | None = None) -> Call[Page[Job]]:
        params = {"cursor": cursor} if cursor else {}
        return Call("GET", f"/webhooks/{endpoint_id}/deliveries", _as(Page[Job]), params=params)

    @staticmethod
    def sign_in(email: str, password: str) -> Call[Session]:
        return Call("POST", "/sessions", _as(Session), json={"email": email, "password": password})

    @staticmethod
    def current_session() -> Call[Session]:
        return Call("GET", "/sessions/current", _as(Session))

    @staticmethod
    def sign_out() -> Call[None]:
        return Call("DELETE", "/sessions/current", _nothing)


def _headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _trust(ca_file: Path | None) -> ssl.SSLContext | bool:
    """Verify the API's certificate against ``ca_file`` alone when given (a private or local CA),
    else against the system's trust store."""
    return ssl.create_default_context(cafile=str(ca_file)) if ca_file else True


class Client:
    """Synchronous client. Every method is the call of the same name in ``Calls``."""

    def __init__(
        self, base_url: str, api_key: str | None, *, timeout: float = 30.0, ca_file: Path | None = None
    ) -> None:
        self.http = httpx.Client(
            base_url=base_url.rstrip("/") + "/api/v1",
            headers=_headers(api_key),
            timeout=timeout,
            verify=_trust(ca_file),
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def call(self, call: Call[T]) -> T:
        response = self.http.request(call.method, call.path, **call.request())
        return call.read(response)

    def submit(self, job: Body, *, idempotency_key: str | None = None) -> Job:
        return self.call(Calls.submit(job, idempotency_key))

    def submit_batch(self, jobs: list[Body]) -> BatchResult:
        return self.call(Calls.submit_batch(jobs))

    def list_jobs(self, **filters: Any) -> Page[Job]:
        return self.call(Calls.list_jobs(**filters))

    def get_job(self, job_id: int) -> Job:
        return self.call(Calls.get_job(job_id))

    def job_events(self, job_id: int) -> list[JobEvent]:
        return self.call(Calls.job_events(job_id))

    def cancel(self, job_id: int) -> Job:
        return self.call(Calls.cancel(job_id))

    def retry(self, job_id: int) -> Job:
        return self.call(Calls.retry(job_id))

    def replay_dead(self, **filters: Any) -> Replayed:
        return self.call(Calls.replay_dead(**filters))

    def queues(self) -> list[QueueStats]:
        return self.call(Calls.queues())

    def create_schedule(self, schedule: Body) -> Schedule:
        return self.call(Calls.create_schedule(schedule))

    def list_schedules(self, **params: Any) -> Page[Schedule]:
        return self.call(Calls.list_schedules(**params))

    def delete_schedule(self, schedule_id: int) -> None:
        self.call(Calls.delete_schedule(schedule_id))

    def me(self) -> User:
        return self.call(Calls.me())


class AsyncClient:
    """Asynchronous client with the same methods as ``Client``."""

    def __init__(
        self, base_url: str, api_key: str | None, *, timeout: float = 30.0, ca_file: Path | None = None
    ) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/api/v1",
            headers=_headers(api_key),
            timeout=timeout,
            verify=_trust(ca_file),
        )

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def call(self, call: Call[T]) -> T:
        response = await self.http.request(call.method, call.path, **call.request())
        return call.read(response)

    async def submit(self, job: Body, *, idempotency_key: str | None = None) -> Job:
        return await self.call(Calls.submit(job, idempotency_key))

    async def submit_batch(self, jobs: list[Body]) -> BatchResult:
        return await self.call(Calls.submit_batch(jobs))

    async def list_jobs(self, **filters: Any) -> Page[Job]:
        return await self.call(Calls.list_jobs(**filters))

    async def get_job(self, job_id: int) -> Job:
        return await self.call(Calls.get_job(job_id))

    async def job_events(self, job_id: int) -> list[JobEvent]:
        return await self.call(Calls.job_events(job_id))

    async def cancel(self, job_id: int) -> Job:
        return await self.call(Calls.cancel(job_id))

    async def retry(self, job_id: int) -> Job:
        return await self.call(Calls.retry(job_id))

    async def replay_dead(self, **filters: Any) -> Replayed:
        return await self.call(Calls.replay_dead(**filters))

    async def queues(self) -> list[QueueStats]:
        return await self.call(Calls.queues())

    async def create_schedule(self, schedule: Body) -> Schedule:
        return await self.call(Calls.create_schedule(schedule))

    async def list_schedules(self, **params: Any) -> Page[Schedule]:
        return await self.call(Calls.list_schedules(**params))

    async def delete_schedule(self, schedule_id: int) -> None:
        await self.call(Calls.delete_schedule(schedule_id))

    async def me(self) -> User:
        return await self.call(Calls.me())

"""The handler registry: job types, their payload models, and discovery through entry points.

A team ships its own job types in its own package::

    from pydantic import BaseModel
    from conveyor.handlers import Registry, JobContext

    registry = Registry()

    class Resize(BaseModel):
        image_url: str
        width: int

    @registry.handler("images.resize")
    async def resize(payload: Resize, ctx: JobContext) -> dict:
        ...

and declares ``[project.entry-points."conveyor.handlers"] images = "mypkg.jobs:registry"``.
Every Conveyor process that installs the package then knows the type: the API validates
payloads against the model, and workers run the function.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, get_type_hints

import structlog
from pydantic import BaseModel, ValidationError

ENTRY_POINT_GROUP = "conveyor.handlers"

HandlerFunc = Callable[[Any, "JobContext"], Awaitable[Any] | Any]


class JobError(Exception):
    """A failed attempt. ``retryable=False`` sends the job straight to the dead-letter queue;
    ``retry_after`` (seconds) overrides the backoff for the next attempt."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = True,
        retry_after: float | None = None,
        kind: str = "error",
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.kind = kind


class PermanentError(JobError):
    def __init__(self, message: str, *, kind: str = "permanent") -> None:
        super().__init__(message, retryable=False, kind=kind)


class PayloadError(ValueError):
    """The payload does not match the job type's model; ``errors`` lists field problems."""

    def __init__(self, job_type: str, errors: list[dict[str, str]]) -> None:
        super().__init__(f"invalid payload for job type {job_type!r}")
        self.errors = errors


class UnknownJobType(LookupError):
    pass


@dataclass
class JobContext:
    """What a handler knows about the attempt it is running."""

    job_id: int
    attempt: int
    max_attempts: int
    queue: str
    type: str
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    # The worker's database pool, for built-in types that read Conveyor's own state (webhooks).
    pool: Any = None
    log: Any = field(default_factory=structlog.get_logger)

    @property
    def cancel_requested(self) -> bool:
        return self.cancelled.is_set()


@dataclass(frozen=True)
class Handler:
    name: str
    func: HandlerFunc
    payload_model: type[BaseModel] | None

    def parse(self, payload: dict[str, Any]) -> Any:
        if self.payload_model is None:
            return payload
        try:
            return self.payload_model.model_validate(payload)
        except ValidationError as exc:
            raise PayloadError(
                self.name,
                [
                    {"field": ".".join(["payload", *(str(p) for p in e["loc"])]), "message": e["msg"]}
                    for e in exc.errors()
                ],
            ) from None

    async def run(self, payload: Any, ctx: JobContext, executor: Executor | None = None) -> Any:
        if inspect.iscoroutinefunction(self.func):
            return await self.func(payload, ctx)
        # Synchronous handlers run in a thread so they never block the worker's event loop;
        # the worker passes a pool sized to its concurrency (the default pool is far smaller).
        call = functools.partial(contextvars.copy_context().run, self.func, payload, ctx)
        return await asyncio.get_running_loop().run_in_executor(executor, call)


class Registry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def handler(self, name: str) -> Callable[[HandlerFunc], HandlerFunc]:
        """Register ``func`` as job type ``name``; its first parameter's annotation, if a
        pydantic model, validates payloads."""

        def decorate(func: HandlerFunc) -> HandlerFunc:
            hints = get_type_hints(func)
            params = list(inspect.signature(func).parameters)
            model = hints.get(params[0]) if params else None
            payload_model = model if isinstance(model, type) and issubclass(model, BaseModel) else None
            self.add(Handler(name, func, payload_model))
            return func

        return decorate

    def add(self, handler: Handler) -> None:
        if handler.name in self._handlers:
            raise ValueError(f"job type {handler.name!r} is registered twice")
        self._handlers[handler.name] = handler

    def merge(self, other: Registry) -> None:
        for handler in other._handlers.values():
            self.add(handler)

    def get(self, name: str) -> Handler:
        try:
            return self._handlers[name]
        except KeyError:
            raise UnknownJobType(name) from None

    def names(self) -> list[str]:
        return sorted(self._handlers)

    def validate(self, job_type: str, payload: dict[str, Any]) -> None:
        """Raise UnknownJobType or PayloadError if the job could never run."""
        self.get(job_type).parse(payload)


def discover() -> Registry:
    """Every registry published under the ``conveyor.handlers`` entry-point group, merged."""
    merged = Registry()
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        loaded = ep.load()
        if not isinstance(loaded, Registry):
            raise TypeError(f"entry point {ep.name!r} ({ep.value}) is not a conveyor Registry")
        merged.merge(loaded)
    return merged

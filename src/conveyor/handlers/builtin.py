"""Built-in job types for operations and testing. None of them runs shell commands."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from conveyor.handlers.registry import JobContext, JobError, Registry

registry = Registry()


class Empty(BaseModel):
    model_config = ConfigDict(extra="allow")


class Sleep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(ge=0, le=3600)


class Echo(BaseModel):
    model_config = ConfigDict(extra="allow")


class Fail(BaseModel):
    model_config = ConfigDict(extra="forbid")
    times: int = Field(default=1, ge=0, le=100, description="Fail this many attempts, then succeed.")
    retryable: bool = True
    message: str = Field(default="failed on purpose", max_length=1000)


@registry.handler("noop")
async def noop(payload: Empty, ctx: JobContext) -> None:
    return None


@registry.handler("sleep")
async def sleep(payload: Sleep, ctx: JobContext) -> dict[str, Any]:
    """Sleeps, but wakes early on a cancel request (the cooperative-cancel example)."""
    try:
        await asyncio.wait_for(ctx.cancelled.wait(), timeout=payload.seconds)
    except TimeoutError:
        return {"slept": payload.seconds}
    raise JobError("cancelled while sleeping", retryable=False, kind="cancelled")


@registry.handler("echo")
async def echo(payload: Echo, ctx: JobContext) -> dict[str, Any]:
    return payload.model_dump()


@registry.handler("fail")
async def fail(payload: Fail, ctx: JobContext) -> dict[str, Any]:
    if ctx.attempt <= payload.times:
        raise JobError(
            f"{payload.message} (attempt {ctx.attempt} of {payload.times} planned failures)",
            retryable=payload.retryable,
        )
    return {"succeeded_on_attempt": ctx.attempt}

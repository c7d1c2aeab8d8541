"""/api/v1/queues: depth and age per queue; pause, resume, concurrency and rate limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from conveyor.api import API_PREFIX
from conveyor.api.deprecation import PAUSED_FIELD_SUNSET, announce_deprecation
from conveyor.api.deps import CanReadQueues, CanWriteQueues, QueuesDep
from conveyor.api.models.queues import Queue, QueueStats, QueueUpdate
from conveyor.api.problems import PROBLEM_RESPONSES
from conveyor.engine.models import QUEUE_PATTERN

# Tagged jobs as well: these routes were published under both tags, and clients generated
# from the contract group operations by tag.
router = APIRouter(prefix=API_PREFIX, tags=["jobs", "queues"], responses=PROBLEM_RESPONSES)

QueuePath = Annotated[str, Path(pattern=QUEUE_PATTERN)]


@router.get("/queues", response_model=list[QueueStats])
async def list_queues(queues: QueuesDep, _: CanReadQueues) -> list[QueueStats]:
    return [QueueStats.model_validate(row) for row in await queues.overview()]


@router.patch("/queues/{name}", response_model=Queue)
async def update_queue(
    name: QueuePath, update: QueueUpdate, queues: QueuesDep, _: CanWriteQueues, response: Response
) -> Queue:
    if "paused" in update.model_fields_set:
        announce_deprecation(response, PAUSED_FIELD_SUNSET, successor=f"{API_PREFIX}/queues/{name}/pause")
    row = await queues.update(
        name,
        paused=update.paused,
        concurrency_limit=update.concurrency_limit,
        set_limit="concurrency_limit" in update.model_fields_set,
        rate_limit=update.rate_limit,
        set_rate="rate_limit" in update.model_fields_set,
    )
    return Queue.model_validate(row)


@router.post("/queues/{name}/pause", response_model=Queue)
async def pause_queue(name: QueuePath, queues: QueuesDep, _: CanWriteQueues) -> Queue:
    return Queue.model_validate(await queues.update(name, paused=True))


@router.post("/queues/{name}/resume", response_model=Queue)
async def resume_queue(name: QueuePath, queues: QueuesDep, _: CanWriteQueues) -> Queue:
    return Queue.model_validate(await queues.update(name, paused=False))

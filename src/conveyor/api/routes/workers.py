"""/api/v1/workers: the running workers, their slots and how busy they are."""

from __future__ import annotations

from fastapi import APIRouter

from conveyor.api import API_PREFIX
from conveyor.api.deps import CanReadQueues, QueuesDep
from conveyor.api.models.workers import WorkerInfo
from conveyor.api.problems import PROBLEM_RESPONSES

# Guarded by the queues permission and tagged as the queue routes are (jobs and queues, as
# published): workers are how queues drain.
router = APIRouter(prefix=API_PREFIX, tags=["jobs", "queues"], responses=PROBLEM_RESPONSES)

# Workers announce themselves every 5 s; three missed announcements and one is not listed.
WORKER_SILENCE_SECONDS = 15.0


@router.get("/workers", response_model=list[WorkerInfo])
async def list_workers(queues: QueuesDep, _: CanReadQueues) -> list[WorkerInfo]:
    """Running workers, their slots and how many are busy (as of each one's last announcement)."""
    return [WorkerInfo.model_validate(row) for row in await queues.workers(WORKER_SILENCE_SECONDS)]

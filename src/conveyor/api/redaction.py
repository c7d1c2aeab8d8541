"""What readers see of job payloads: credentials in ``http`` jobs (header values, URL
credentials) only with the ``jobs:credentials`` permission — operators and admins, who may run
the jobs anyway; viewers see them redacted, in the API and so in the console (ADR 0021)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from conveyor.api.deps import SettingsDep, get_principal
from conveyor.api.permissions import Permission, allowed
from conveyor.engine.models import Job
from conveyor.engine.schedules import Schedule
from conveyor.handlers.credentials import Redactor
from conveyor.store.users import Principal


class PayloadView:
    def __init__(self, redactor: Redactor | None) -> None:
        self.redactor = redactor  # None: the reader sees credentials

    def job(self, job: Job) -> Job:
        if self.redactor is None:
            return job
        return job.model_copy(update={"payload": self.redactor.payload(job.type, job.payload)})

    def jobs(self, jobs: list[Job]) -> list[Job]:
        return [self.job(job) for job in jobs]

    def schedule(self, schedule: Schedule) -> Schedule:
        template = schedule.job
        if self.redactor is None or not isinstance(template.get("payload"), dict):
            return schedule
        payload = self.redactor.payload(str(template.get("type")), template["payload"])
        return schedule.model_copy(update={"job": {**template, "payload": payload}})


async def payload_view(
    principal: Annotated[Principal, Depends(get_principal)], settings: SettingsDep
) -> PayloadView:
    if allowed(principal.role, Permission.job_credentials_read):
        return PayloadView(None)
    return PayloadView(Redactor(settings.redacted_header_names))


PayloadViewDep = Annotated[PayloadView, Depends(payload_view)]

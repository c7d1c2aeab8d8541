"""Who may do what: the one permission table every route checks."""

from __future__ import annotations

from enum import StrEnum

from conveyor.store.users import Role


class Permission(StrEnum):
    jobs_read = "jobs:read"
    jobs_write = "jobs:write"
    schedules_read = "schedules:read"
    schedules_write = "schedules:write"
    queues_read = "queues:read"
    queues_write = "queues:write"


READ = {Permission.jobs_read, Permission.schedules_read, Permission.queues_read}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    "viewer": frozenset(READ),
    "operator": frozenset(Permission),
    "admin": frozenset(Permission),
}


def allowed(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]

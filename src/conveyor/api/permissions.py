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
    users_read = "users:read"
    users_write = "users:write"
    webhooks_read = "webhooks:read"
    webhooks_write = "webhooks:write"
    analytics_read = "analytics:read"
    audit_read = "audit:read"
    job_credentials_read = "jobs:credentials"  # header values and URL credentials of http jobs
    self_service = "self"  # one's own profile, keys and session
    public = "public"  # no credentials needed (signing in)


READ = {
    Permission.jobs_read,
    Permission.schedules_read,
    Permission.queues_read,
    Permission.webhooks_read,
    Permission.analytics_read,
    Permission.self_service,
    Permission.public,
}
OPERATE = READ | {
    Permission.job_credentials_read,
    Permission.jobs_write,
    Permission.schedules_write,
    Permission.queues_write,
    Permission.webhooks_write,
}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    "viewer": frozenset(READ),
    "operator": frozenset(OPERATE),
    "admin": frozenset(Permission),
}


def allowed(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]

"""/api/v1/users, /api/v1/me and /api/v1/audit-log: identity and access."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request

from conveyor.api import API_PREFIX
from conveyor.api.deps import CanReadAudit, CanReadUsers, CanWriteUsers, PoolDep, Self, SettingsDep
from conveyor.api.idempotency import Replay, idempotent
from conveyor.api.models.users import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    AuditEntry,
    User,
    UserCreate,
    UserUpdate,
)
from conveyor.api.pagination import Page, PageQueryDep
from conveyor.api.params import IdPath, IdQuery
from conveyor.api.problems import IDEMPOTENT_RESPONSES, PROBLEM_RESPONSES, Problem
from conveyor.store import api_keys, audit, users
from conveyor.store.users import Principal

router = APIRouter(prefix=API_PREFIX, tags=["users"], responses=PROBLEM_RESPONSES)


async def _user_or_404(pool: PoolDep, user_id: int) -> dict[str, Any]:
    user = await users.get_user(pool, user_id)
    if user is None:
        raise Problem(404, f"user {user_id} does not exist", slug="not-found")
    return user


def _created(row: dict[str, Any], secret: str | None) -> ApiKeyCreated:
    return ApiKeyCreated.model_validate({**row, "secret": secret})


async def _current_user(request: Request, _: Principal, user_id: int) -> User | None:
    row = await users.get_user(request.app.state.pool, user_id)
    return User.model_validate(row) if row else None


async def _current_key(request: Request, principal: Principal, key_id: int) -> ApiKeyCreated | None:
    owner = int(request.path_params.get("user_id", principal.user_id))
    row = await api_keys.get_api_key(request.app.state.pool, owner, key_id)
    return _created(row, None) if row else None


UserReplay = Annotated[None, idempotent(Replay("user", _current_user))]
KeyReplay = Annotated[None, idempotent(Replay("API key", _current_key))]


@router.post("/users", status_code=201, response_model=User, responses=IDEMPOTENT_RESPONSES)
async def create_user(body: UserCreate, pool: PoolDep, _: CanWriteUsers, _idempotent: UserReplay) -> User:
    row = await users.create_user(pool, body.email.lower(), body.role, body.name, body.password)
    if row is None:
        raise Problem(409, f"a user with email {body.email!r} exists", slug="conflict")
    return User.model_validate(row)


@router.get("/users", response_model=Page[User])
async def list_users(pool: PoolDep, _: CanReadUsers, page: PageQueryDep) -> Page[User]:
    rows = await users.list_users(pool, after_id=page.last_id, limit=page.limit)
    items = [User.model_validate(r) for r in rows]
    return Page[User](items=items, next_cursor=page.next_cursor(items))


@router.get("/users/{user_id}", response_model=User)
async def get_user(user_id: IdPath, pool: PoolDep, _: CanReadUsers) -> User:
    return User.model_validate(await _user_or_404(pool, user_id))


@router.patch("/users/{user_id}", response_model=User)
async def update_user(user_id: IdPath, body: UserUpdate, pool: PoolDep, principal: CanWriteUsers) -> User:
    changes = body.model_dump(exclude_unset=True)
    if user_id == principal.user_id and (changes.get("disabled") or changes.get("role", "admin") != "admin"):
        raise Problem(409, "admins cannot demote or disable themselves; ask another admin", slug="conflict")
    row = await users.update_user(pool, user_id, changes)
    if row is None:
        raise Problem(404, f"user {user_id} does not exist", slug="not-found")
    return User.model_validate(row)


@router.post(
    "/users/{user_id}/api-keys", status_code=201, response_model=ApiKeyCreated, responses=IDEMPOTENT_RESPONSES
)
async def issue_key(
    user_id: IdPath,
    body: ApiKeyCreate,
    pool: PoolDep,
    settings: SettingsDep,
    _: CanWriteUsers,
    _idempotent: KeyReplay,
) -> ApiKeyCreated:
    await _user_or_404(pool, user_id)
    row, secret = await api_keys.create_api_key(
        pool, user_id, body.name, body.expires_at, max_live_keys=settings.max_api_keys_per_user
    )
    return _created(row, secret)


@router.get("/users/{user_id}/api-keys", response_model=list[ApiKey])
async def list_user_keys(user_id: IdPath, pool: PoolDep, _: CanReadUsers) -> list[ApiKey]:
    await _user_or_404(pool, user_id)
    return [ApiKey.model_validate(r) for r in await api_keys.list_api_keys(pool, user_id)]


async def _revoke(pool: PoolDep, user_id: int, key_id: int) -> ApiKey:
    row = await api_keys.revoke_api_key(pool, user_id, key_id)
    if row is None:
        raise Problem(404, f"API key {key_id} does not exist", slug="not-found")
    return ApiKey.model_validate(row)


@router.delete("/users/{user_id}/api-keys/{key_id}", response_model=ApiKey)
async def revoke_user_key(user_id: IdPath, key_id: IdPath, pool: PoolDep, _: CanWriteUsers) -> ApiKey:
    return await _revoke(pool, user_id, key_id)


@router.get("/me", response_model=User)
async def me(pool: PoolDep, principal: Self) -> User:
    return User.model_validate(await _user_or_404(pool, principal.user_id))


@router.get("/me/api-keys", response_model=list[ApiKey])
async def my_keys(pool: PoolDep, principal: Self) -> list[ApiKey]:
    return [ApiKey.model_validate(r) for r in await api_keys.list_api_keys(pool, principal.user_id)]


@router.post("/me/api-keys", status_code=201, response_model=ApiKeyCreated, responses=IDEMPOTENT_RESPONSES)
async def create_my_key(
    body: ApiKeyCreate, pool: PoolDep, settings: SettingsDep, principal: Self, _idempotent: KeyReplay
) -> ApiKeyCreated:
    row, secret = await api_keys.create_api_key(
        pool,
        principal.user_id,
        body.name,
        body.expires_at,
        max_live_keys=settings.max_api_keys_per_user,
    )
    return _created(row, secret)


@router.delete("/me/api-keys/{key_id}", response_model=ApiKey)
async def revoke_my_key(key_id: IdPath, pool: PoolDep, principal: Self) -> ApiKey:
    # Scoped to the caller: another user's key id is simply "not found".
    return await _revoke(pool, principal.user_id, key_id)


@router.post("/me/api-keys/{key_id}/rotate", status_code=201, response_model=ApiKeyCreated)
async def rotate_my_key(key_id: IdPath, pool: PoolDep, principal: Self) -> ApiKeyCreated:
    rotated = await api_keys.rotate_api_key(pool, principal.user_id, key_id)
    if rotated is None:
        raise Problem(404, f"no live API key {key_id}", slug="not-found")
    return _created(*rotated)


@router.get("/audit-log", response_model=Page[AuditEntry], tags=["audit"])
async def audit_log(
    pool: PoolDep,
    _: CanReadAudit,
    page: PageQueryDep,
    user_id: IdQuery = None,
) -> Page[AuditEntry]:
    rows = await audit.list_audit(pool, before_id=page.last_id, user_id=user_id, limit=page.limit)
    items = [AuditEntry.model_validate(r) for r in rows]
    return Page[AuditEntry](items=items, next_cursor=page.next_cursor(items))

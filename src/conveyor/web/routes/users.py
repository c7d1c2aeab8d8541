"""Users (admins): list, create with a password and role, change role, disable and enable."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from conveyor.client import ApiError, Calls
from conveyor.web.auth import Viewer, ViewerDep
from conveyor.web.forms import api_field_errors, form_data
from conveyor.web.render import page, redirect

router = APIRouter()
ROLES = ("viewer", "operator", "admin")
MIN_PASSWORD = 12  # the API's rule, checked here first so the message sits by the field


async def _users_page(
    request: Request, viewer: Viewer, cursor: str | None = None, **context: Any
) -> Response:
    status_code = context.pop("status_code", 200)
    context.setdefault("errors", {})
    context.setdefault("values", {"role": "viewer"})
    context.setdefault("message", None)
    params = {"cursor": cursor} if cursor else {}
    result = await viewer.api.call(Calls.list_users(limit=100, **params))
    return page(
        request, "users.html", viewer, status_code=status_code,
        users=result.items, next_cursor=result.next_cursor, roles=ROLES, **context,
    )  # fmt: skip


@router.get("/users")
async def users(request: Request, viewer: ViewerDep, cursor: str | None = None) -> Response:
    return await _users_page(request, viewer, cursor)


@router.post("/users")
async def create(request: Request, viewer: ViewerDep) -> Response:
    values = await form_data(request)
    errors: dict[str, str] = {}
    if "@" not in values.get("email", ""):
        errors["email"] = "Enter an email address, like ada@example.com."
    if values.get("role") not in ROLES:
        errors["role"] = "Choose a role."
    password = values.get("password", "")
    if password and len(password) < MIN_PASSWORD:
        errors["password"] = f"At least {MIN_PASSWORD} characters (or leave empty for SSO or API keys only)."
    if errors:
        return await _users_page(request, viewer, errors=errors, values=values, status_code=422)
    body = {"email": values["email"], "role": values["role"], "name": values.get("name") or None}
    if password:
        body["password"] = password
    try:
        user = await viewer.api.call(Calls.create_user(body))
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        fields = {"email": "email", "role": "role", "name": "name", "password": "password"}  # nosec B105 # names
        errors, message = api_field_errors(exc, fields)
        if exc.status == 409:
            errors, message = {"email": str(exc.problem.get("detail"))}, None
        return await _users_page(
            request, viewer, errors=errors, values=values, message=message, status_code=exc.status
        )
    return redirect("/users", f"User {user.email} created as {user.role}.")


@router.post("/users/{user_id}/role")
async def set_role(request: Request, viewer: ViewerDep, user_id: int) -> Response:
    role = (await form_data(request)).get("role", "")
    user = await viewer.api.call(Calls.update_user(user_id, {"role": role}))
    return redirect("/users", f"{user.email} is now {user.role}.")


@router.post("/users/{user_id}/disable")
async def disable(viewer: ViewerDep, user_id: int) -> Response:
    user = await viewer.api.call(Calls.update_user(user_id, {"disabled": True}))
    return redirect("/users", f"{user.email} disabled: their sessions and keys stop working.")


@router.post("/users/{user_id}/enable")
async def enable(viewer: ViewerDep, user_id: int) -> Response:
    user = await viewer.api.call(Calls.update_user(user_id, {"disabled": False}))
    return redirect("/users", f"{user.email} enabled.")

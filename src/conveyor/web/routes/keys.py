"""The signed-in user's API keys: issue (the secret is shown once), revoke."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from fastapi import APIRouter, Request
from fastapi.responses import Response

from conveyor.client import ApiError, Calls
from conveyor.web.auth import ViewerDep
from conveyor.web.forms import api_field_errors, form_data, missing
from conveyor.web.render import page, redirect

router = APIRouter()


async def _keys_page(request: Request, viewer: ViewerDep, **context: object) -> Response:
    context.setdefault("errors", {})
    context.setdefault("values", {})
    status_code = int(str(context.pop("status_code", 200)))
    keys = await viewer.api.call(Calls.my_keys())
    return page(request, "keys.html", viewer, status_code=status_code, keys=keys, **context)


@router.get("/keys")
async def keys(request: Request, viewer: ViewerDep) -> Response:
    return await _keys_page(request, viewer)


@router.post("/keys")
async def issue(request: Request, viewer: ViewerDep) -> Response:
    values = await form_data(request)
    errors = missing(values, {"name": "Give the key a name that says where it is used."})
    expires_at = None
    if raw := values.get("expires"):
        try:
            # A date means the end of that day, UTC: a key "until 2027-01-31" works on the 31st.
            expires_at = datetime.combine(date.fromisoformat(raw), time.max, UTC).isoformat()
        except ValueError:
            errors["expires"] = "Use a date like 2027-01-31."
    if errors:
        return await _keys_page(request, viewer, errors=errors, values=values, status_code=422)
    try:
        created = await viewer.api.call(Calls.create_my_key(values["name"], expires_at))
    except ApiError as exc:
        if exc.status != 422:
            raise
        errors, message = api_field_errors(exc, {"name": "name", "expires_at": "expires"})
        return await _keys_page(
            request, viewer, errors=errors, values=values, message=message, status_code=422
        )
    # Rendered, not redirected: the secret must appear exactly once and never in a URL.
    return await _keys_page(request, viewer, created=created, status_code=201)


@router.post("/keys/{key_id}/revoke")
async def revoke(viewer: ViewerDep, key_id: int) -> Response:
    key = await viewer.api.call(Calls.revoke_my_key(key_id))
    return redirect("/keys", f"Key {key.name} ({key.prefix}…) revoked: it stops working at once.")

"""Sign in with a password or single sign-on (OpenID Connect, through the API), sign out."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from conveyor.client import ApiError, Calls
from conveyor.web.auth import (
    CONSOLE_COOKIE,
    CSRF_FIELD,
    SIGN_IN_CSRF_COOKIE,
    ViewerDep,
    client_address,
    gateway,
    local_path,
    new_sign_in_token,
    tokens_match,
)
from conveyor.web.forms import api_field_errors, form_data
from conveyor.web.render import page, redirect

router = APIRouter()


def _sign_in_form(
    request: Request,
    next_path: str,
    *,
    email: str = "",
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    # Sign-in CSRF (someone signing you into their account) is stopped with a double-submit
    # token: a random value in a SameSite=Strict cookie that the form must echo.
    token = request.cookies.get(SIGN_IN_CSRF_COOKIE) or new_sign_in_token()
    response = page(
        request,
        "sign_in.html",
        None,
        status_code=status_code,
        next_path=next_path,
        email=email,
        errors=errors or {},
        message=message,
        sign_in_token=token,
    )
    secure = request.app.state.settings.cookie_secure
    response.set_cookie(SIGN_IN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/")
    return response


@router.get("/sign-in")
async def sign_in_page(request: Request, next: str = "/") -> Response:
    return _sign_in_form(request, local_path(next))


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await form_data(request)
    next_path = local_path(form.get("next"))
    email = form.get("email", "")
    if not tokens_match(form.get(CSRF_FIELD, ""), request.cookies.get(SIGN_IN_CSRF_COOKIE, "")):
        message = "This sign-in form has expired. Please try again."
        return _sign_in_form(request, next_path, email=email, message=message, status_code=403)
    errors = {}
    if not email:
        errors["email"] = "Enter your email address."
    elif "@" not in email:
        errors["email"] = "Enter an email address, like ada@example.com."
    if not form.get("password"):
        errors["password"] = "Enter your password."  # noqa: S105 # nosec B105 # a message, not a secret
    if errors:
        return _sign_in_form(request, next_path, email=email, errors=errors, status_code=422)
    try:
        session, session_id = (
            await gateway(request)
            .session(None, client=client_address(request))
            .sign_in(Calls.sign_in(email, form["password"]))
        )
    except ApiError as exc:
        if exc.status == 401:
            message = "Wrong email or password."
            return _sign_in_form(request, next_path, email=email, message=message, status_code=401)
        fields = {"email": "email", "password": "password"}  # nosec B105 # form field names
        errors, problem = api_field_errors(exc, fields)
        return _sign_in_form(
            request, next_path, email=email, errors=errors, message=problem, status_code=exc.status
        )
    return _signed_in(request, next_path, session_id, session.expires_at)


def _signed_in(request: Request, next_path: str, session_id: str, expires_at: datetime) -> Response:
    response = redirect(next_path)
    response.set_cookie(
        CONSOLE_COOKIE,
        session_id,
        max_age=max(1, int((expires_at - datetime.now(UTC)).total_seconds())),
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.cookie_secure,
        path="/",
    )
    response.delete_cookie(SIGN_IN_CSRF_COOKIE, path="/")
    return response


def _sso_configured(request: Request) -> None:
    if not request.app.state.settings.oidc_issuer:
        raise HTTPException(404)


# The attempt's `state`, kept by the browser that started it: an answer from the provider
# arriving in another browser (someone else's sign-in, pushed to a victim) is refused.
SSO_STATE_COOKIE = "conveyor_sso_state"
SSO_ATTEMPT_SECONDS = 600  # the API forgets an attempt after 10 minutes too


@router.get("/sign-in/sso")
async def sso_start(request: Request, next: str = "/") -> Response:
    """Off to the identity provider; the API keeps the attempt (state, nonce, PKCE verifier)."""
    _sso_configured(request)
    url = await gateway(request).session(None, client=client_address(request)).oidc_start(local_path(next))
    state = parse_qs(urlsplit(url).query).get("state", [""])[0]
    response = RedirectResponse(url, status_code=303)
    # Lax, not Strict: the provider's redirect back here is a cross-site navigation.
    response.set_cookie(
        SSO_STATE_COOKIE, state, max_age=SSO_ATTEMPT_SECONDS, httponly=True, samesite="lax",
        secure=request.app.state.settings.cookie_secure, path="/sign-in/sso",
    )  # fmt: skip
    return response


@router.get("/sign-in/sso/callback")
async def sso_callback(request: Request) -> Response:
    """The provider sends the browser back here (CONVEYOR_OIDC_REDIRECT_URL points at it); the
    API checks the answer and opens the session this console then keeps in its own cookie."""
    _sso_configured(request)
    api = gateway(request)
    params = {k: v for k, v in request.query_params.items() if k in ("state", "code", "error")}
    if not tokens_match(params.get("state", ""), request.cookies.get(SSO_STATE_COOKIE, "")):
        message = "Single sign-on failed: this sign-in was not started in this browser. Please start again."
        return _sign_in_form(request, "/", message=message, status_code=403)
    try:
        next_path, session_id = await api.session(None, client=client_address(request)).oidc_finish(params)
        session = await api.session(session_id, client=client_address(request)).call(Calls.current_session())
    except ApiError as exc:
        detail = exc.problem.get("detail") or exc.problem.get("title") or str(exc)
        return _sign_in_form(request, "/", message=f"Single sign-on failed: {detail}", status_code=exc.status)
    response = _signed_in(request, local_path(next_path), session_id, session.expires_at)
    response.delete_cookie(SSO_STATE_COOKIE, path="/sign-in/sso")
    return response


@router.post("/sign-out")
async def sign_out(viewer: ViewerDep) -> Response:
    await viewer.api.call(Calls.sign_out())
    response = redirect("/sign-in", "You are signed out.")
    response.delete_cookie(CONSOLE_COOKIE, path="/")
    return response

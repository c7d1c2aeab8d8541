"""The console's way to the API: one pooled HTTP client, used with each user's session.

The console keeps no credentials of its own. The API session id lives in the console's cookie;
each request forwards it (and, for changes, the session's CSRF token) so the API decides what
the user may do.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, TypeVar

import httpx
import structlog
from opentelemetry import propagate

from conveyor.client import ApiError, Call

T = TypeVar("T")
API_SESSION_COOKIE = "conveyor_session"  # the API's cookie name (api/deps.py)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ApiDown(Exception):
    """The API did not answer (refused, timed out, or answered 502/503/504)."""

    def __init__(self, api_url: str, reason: str) -> None:
        super().__init__(f"the API at {api_url} is not answering: {reason}")
        self.api_url = api_url
        self.reason = reason


class SignInRequired(Exception):
    """No session, or the API no longer accepts it (expired, signed out, user disabled)."""


class Gateway:
    def __init__(
        self, api_url: str, *, timeout: float = 10.0, transport: Any = None, ca_file: Path | None = None
    ) -> None:
        self.api_url = api_url.rstrip("/")
        # A private or local CA (CONVEYOR_API_CA_FILE) is the only one trusted for the API.
        verify = ssl.create_default_context(cafile=str(ca_file)) if ca_file else True
        self.http = httpx.AsyncClient(
            base_url=self.api_url + "/api/v1", timeout=timeout, transport=transport, verify=verify
        )

    async def close(self) -> None:
        await self.http.aclose()

    def session(
        self, session_id: str | None, csrf_token: str = "", *, client: str | None = None
    ) -> ApiSession:  # nosec B107 # an empty CSRF token is no password
        """API calls as one user; ``client`` (the browser's address) travels as X-Forwarded-For,
        which the API believes when the console is among CONVEYOR_TRUSTED_PROXIES."""
        return ApiSession(self, session_id, csrf_token, client)

    async def send(self, call: Call[T], headers: dict[str, str]) -> tuple[T, httpx.Response]:
        headers = dict(headers)
        if request_id := structlog.contextvars.get_contextvars().get("request_id"):
            headers["X-Request-Id"] = str(request_id)
        propagate.inject(headers)  # traceparent: a job submitted here joins the page's trace
        arguments = call.request()
        arguments["headers"].update(headers)
        response = await self.request(call.method, call.path, **arguments)
        if response.status_code in (502, 503, 504):
            detail = _detail(response) or response.reason_phrase
            raise ApiDown(self.api_url, f"{response.status_code} {detail}")
        return call.read(response), response

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One HTTP request to the API; an unreachable or silent API is ``ApiDown``."""
        try:
            return await self.http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise ApiDown(self.api_url, "it did not answer in time") from None
        except httpx.TransportError as exc:
            raise ApiDown(self.api_url, type(exc).__name__) from None

    async def ready(self) -> None:
        """For the console's /readyz: the API itself must be ready."""
        try:
            response = await self.http.get(self.api_url + "/readyz")
        except httpx.HTTPError as exc:
            raise RuntimeError(f"API unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise RuntimeError(f"API not ready: {response.status_code}")


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail") or "")
    except ValueError:
        return ""


class ApiSession:
    """API calls as one signed-in user."""

    def __init__(self, gateway: Gateway, session_id: str | None, csrf_token: str, client: str | None) -> None:
        self.gateway = gateway
        self.session_id = session_id
        self.csrf_token = csrf_token
        # Failed sign-ins are limited per client address at the API: the browser's, not ours.
        self.forwarded = {"X-Forwarded-For": client} if client else {}

    async def call(self, call: Call[T]) -> T:
        headers: dict[str, str] = dict(self.forwarded)
        if self.session_id:
            headers["Cookie"] = f"{API_SESSION_COOKIE}={self.session_id}"
            if call.method in WRITE_METHODS:
                headers["X-CSRF-Token"] = self.csrf_token
        try:
            value, _ = await self.gateway.send(call, headers)
        except ApiError as exc:
            if exc.status == 401:
                raise SignInRequired(str(exc)) from None
            raise
        return value

    async def oidc_start(self, next_path: str) -> str:
        """The identity provider's sign-in URL for a new single sign-on attempt (the attempt,
        with ``next_path``, is kept by the API)."""
        response = await self._raw("/sessions/oidc/start", {"next": next_path})
        if response.status_code != 302:
            raise ApiError(response.status_code, _problem(response))
        return response.headers["location"]

    async def oidc_finish(self, params: dict[str, str]) -> tuple[str, str]:
        """Hand the provider's answer to the API; return (the page to go to, the session id)."""
        response = await self._raw("/sessions/oidc/callback", params)
        if response.status_code != 303:
            raise ApiError(response.status_code, _problem(response))
        return response.headers["location"], _session_cookie(response) or ""

    async def _raw(self, path: str, params: dict[str, str]) -> httpx.Response:
        """A GET whose redirect is the answer (the single sign-on steps)."""
        response = await self.gateway.request(
            "GET", path, params=params, headers=self.forwarded, follow_redirects=False
        )
        if response.status_code in (502, 504):
            raise ApiDown(self.gateway.api_url, f"{response.status_code} {response.reason_phrase}")
        return response

    async def sign_in(self, call: Call[T]) -> tuple[T, str]:
        """Sign in; return the API's answer and the session id from its cookie."""
        value, response = await self.gateway.send(call, dict(self.forwarded))
        if session_id := _session_cookie(response):
            return value, session_id
        raise ApiDown(self.gateway.api_url, "sign-in answered without a session cookie")


def _session_cookie(response: httpx.Response) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name.strip() == API_SESSION_COOKIE:
            return rest.split(";", 1)[0]
    return None


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"detail": response.reason_phrase}
    return body if isinstance(body, dict) else {"detail": str(body)}

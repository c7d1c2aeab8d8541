"""The console's FastAPI app: pages, static assets, and how failures are shown.

- not signed in / session expired → the sign-in page, then back to where the user was;
- the API refused an action (403, 404, 409, ...) → a page that says what the API said;
- the API is down → a banner that says so (503), never a stack trace.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from conveyor.api.middleware import RequestTelemetry
from conveyor.client import ApiError
from conveyor.health import probes_router
from conveyor.settings import Settings
from conveyor.web.auth import CONSOLE_COOKIE, CsrfRejected, local_path, sign_in_url
from conveyor.web.gateway import ApiDown, Gateway, SignInRequired
from conveyor.web.render import page
from conveyor.web.routes import (
    auth,
    dead_letter,
    flags,
    jobs,
    keys,
    overview,
    profile,
    pwa,
    queues,
    schedules,
    users,
    webhooks,
)

HERE = Path(__file__).parent
STATIC = HERE / "static"
# From the npm registry as package-lock.json here pins it: `make web-assets` (scripts/web_assets.py).
VENDOR = HERE / "node_modules"
HTMX = VENDOR / "htmx.org" / "dist" / "htmx.min.js"
# Scripts and styles only from this origin: no inline script can run, even if some text
# slipped past escaping.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _back(request: Request) -> str:
    referer = urlsplit(request.headers.get("referer") or "")
    if referer.netloc and referer.netloc != request.url.netloc:
        return "/"
    return local_path(referer.path + (f"?{referer.query}" if referer.query else ""))


def create_web_app(settings: Settings, *, transport: object = None) -> FastAPI:
    gateway = Gateway(settings.api_url, transport=transport, ca_file=settings.api_ca_file)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await gateway.close()

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.state.gateway = gateway
    app.state.htmx = HTMX.exists()

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, exc: SignInRequired) -> Response:
        target = sign_in_url(request)
        response: Response
        if _is_htmx(request):
            # HTMX would swap a redirect's page into a fragment; make it navigate instead.
            response = Response(status_code=401, headers={"HX-Redirect": target})
        else:
            response = RedirectResponse(target, status_code=303)
        response.delete_cookie(CONSOLE_COOKIE, path="/")
        return response

    @app.exception_handler(ApiDown)
    async def api_down(request: Request, exc: ApiDown) -> Response:
        template = "down_fragment.html" if _is_htmx(request) else "down.html"
        # A live region that was polling keeps polling through the outage, showing the
        # banner in its place, and comes back by itself when the API does.
        poll = _is_htmx(request) and request.method == "GET"
        return page(
            request, template, None, status_code=503, api_url=exc.api_url, reason=exc.reason,
            poll_url=request.url.path if poll else None,
            poll_id=request.headers.get("HX-Target") or "live",
        )  # fmt: skip

    @app.exception_handler(ApiError)
    async def api_refused(request: Request, exc: ApiError) -> Response:
        return page(
            request,
            "refused.html",
            None,
            status_code=exc.status,
            status=exc.status,
            detail=exc.problem.get("detail") or exc.problem.get("title") or "refused",
            source="api",
            back=_back(request),
        )

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, exc: CsrfRejected) -> Response:
        detail = (
            "This form is older than your session or did not come from this console. "
            "Reload the page and try again."
        )
        return page(request, "refused.html", None, status_code=403, status=403, detail=detail, back="/")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = "There is no such page." if exc.status_code == 404 else str(exc.detail)
        return page(
            request, "refused.html", None, status_code=exc.status_code,
            status=exc.status_code, detail=detail, back="/",
        )  # fmt: skip

    @app.exception_handler(RequestValidationError)
    async def bad_address(request: Request, exc: RequestValidationError) -> Response:
        return page(
            request, "refused.html", None, status_code=404,
            status=404, detail="There is no such page (the address is malformed).", back="/",
        )  # fmt: skip

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    # Same request metrics, request ids and trace context as the API (the id is passed on to
    # the API calls a page makes, so their log lines share it).
    app.add_middleware(RequestTelemetry)
    app.include_router(probes_router(gateway.ready))
    pages = (auth, overview, jobs, dead_letter, queues, schedules, keys, webhooks, users, profile, flags)
    for module in (*pages, pwa):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if HTMX.exists():
        app.mount("/vendor/htmx", StaticFiles(directory=HTMX.parent), name="htmx")
    return app

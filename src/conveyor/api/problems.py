"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import sys
from http import HTTPStatus
from typing import Any

import psycopg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from conveyor.engine.cron import CadenceError
from conveyor.engine.jobs import IdempotencyConflict, JobNotFound, JobRejected, StateConflict
from conveyor.engine.schedules import ScheduleRejected
from conveyor.inputs import MAX_NESTING
from conveyor.quota import QuotaExceeded

log = structlog.get_logger("conveyor.api")
MEDIA_TYPE = "application/problem+json"
DATABASE_RETRY_AFTER = "5"


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, the body of every error response."""

    type: str = Field(examples=["urn:conveyor:problem:validation"])
    title: str = Field(examples=["Unprocessable Content"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["payload.seconds: Input should be a valid number"])
    instance: str = Field(examples=["/api/v1/jobs"])
    errors: list[dict[str, str]] | None = Field(
        default=None,
        description="Per-field problems: field (dotted path) and message.",
        examples=[[{"field": "payload.seconds", "message": "Input should be a valid number"}]],
    )


def _documented(description: str) -> dict[str, Any]:
    return {
        "model": ProblemDetails,
        "description": description,
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
    }


# Declared on every /api/v1 route: any of them can answer these.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _documented("Missing, invalid, expired or revoked API key."),
    403: _documented("The key's role lacks the permission this route needs."),
    404: _documented("No such resource."),
    409: _documented(
        "The resource's state does not allow this action, it exists already, or a per-user "
        "limit (CONVEYOR_MAX_*) is reached."
    ),
    413: _documented("Request body too large."),
    415: _documented("Request body is not JSON."),
    422: _documented("Invalid input; `errors` names each field."),
    429: _documented("Rate limit exceeded; see Retry-After and RateLimit-* headers."),
    500: _documented("Unexpected error (logged with the request id)."),
    503: _documented("The database is unavailable; retry after Retry-After seconds."),
}
# Declared on the creating POSTs that take an Idempotency-Key.
IDEMPOTENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    410: _documented("A replayed Idempotency-Key: what the first request created was deleted since."),
}


class Problem(Exception):
    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug
        self.errors = errors
        self.headers = headers


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:conveyor:problem:{slug}" if slug else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


# What FastAPI answers when parsing a JSON body fails other than by a syntax error.
BODY_PARSE_FAILURE = "There was an error parsing the body"


def _unparsable_body(cause: BaseException | None) -> str:
    """Why a syntactically valid JSON body could not be parsed (Python's own limits)."""
    if isinstance(cause, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(cause, RecursionError):
        return f"nested too deeply (values may nest at most {MAX_NESTING} levels)"
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return f"a number has more than {sys.get_int_max_str_digits()} digits"
    return "cannot be parsed as JSON"


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            request, exc.status, exc.detail, slug=exc.slug, errors=exc.errors, headers=exc.headers
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == BODY_PARSE_FAILURE:
            reason = _unparsable_body(exc.__cause__)
            return problem_response(
                request,
                422,
                f"body: {reason}",
                slug="validation",
                errors=[{"field": "body", "message": reason}],
            )
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
        return problem_response(
            request,
            exc.status_code,
            detail,
            slug="too-large" if exc.status_code == 413 else None,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": "body", "message": f"not valid JSON: {e['ctx']['error']} at position {e['loc'][-1]}"}
            if e["type"] == "json_invalid"
            else {"field": _field(e["loc"]), "message": e["msg"]}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem_response(request, 422, detail, slug="validation", errors=errors)

    @app.exception_handler(JobRejected)
    async def _job_rejected(request: Request, exc: JobRejected) -> JSONResponse:
        return problem_response(request, 422, str(exc), slug="validation", errors=exc.errors)

    @app.exception_handler(CadenceError)
    async def _cadence(request: Request, exc: CadenceError) -> JSONResponse:
        return problem_response(
            request,
            422,
            f"{exc.field}: {exc}",
            slug="validation",
            errors=[{"field": exc.field, "message": str(exc)}],
        )

    @app.exception_handler(ScheduleRejected)
    async def _schedule_rejected(request: Request, exc: ScheduleRejected) -> JSONResponse:
        return problem_response(request, 422, str(exc), slug="validation", errors=exc.errors)

    @app.exception_handler(JobNotFound)
    async def _not_found(request: Request, exc: JobNotFound) -> JSONResponse:
        return problem_response(request, 404, str(exc), slug="not-found")

    @app.exception_handler(IdempotencyConflict)
    async def _idempotency(request: Request, exc: IdempotencyConflict) -> JSONResponse:
        return problem_response(
            request,
            422,
            str(exc),
            slug="idempotency-key-reused",
            errors=[{"field": "Idempotency-Key", "message": str(exc)}],
        )

    @app.exception_handler(QuotaExceeded)
    async def _quota(request: Request, exc: QuotaExceeded) -> JSONResponse:
        return problem_response(request, 409, str(exc), slug="limit-reached")

    @app.exception_handler(StateConflict)
    async def _conflict(request: Request, exc: StateConflict) -> JSONResponse:
        return problem_response(request, 409, str(exc), slug="state-conflict")

    @app.exception_handler(psycopg.DataError)
    async def _bad_data(request: Request, exc: psycopg.DataError) -> JSONResponse:
        # The safety net behind the input models (conveyor.inputs), which refuse unstorable
        # values naming their field: a value got past them. The statement failed as a whole, so
        # nothing was written; the database's own message stays in the log (it may quote input
        # or name tables), the client gets the request id to report.
        log.error("unstorable_input", error=str(exc), sqlstate=exc.sqlstate, path=request.url.path)
        return problem_response(
            request,
            422,
            "a value in this request cannot be stored (out of range, or text the database cannot "
            "hold); it has been logged with the request id",
            slug="validation",
        )

    @app.exception_handler(psycopg.OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _database_down(request: Request, exc: Exception) -> JSONResponse:
        log.error("database_unavailable", error=str(exc))
        return problem_response(
            request,
            503,
            "the database is unavailable; retry shortly",
            slug="database-unavailable",
            headers={"Retry-After": DATABASE_RETRY_AFTER},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        return problem_response(request, 500, "internal error; it has been logged", slug="internal")

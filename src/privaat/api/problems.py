"""privaat's errors as RFC 9457 problem+json responses: mapped here, once.

A user's mistake gets a 4xx with a readable ``detail``; an unexpected fault gets a 500 that
says nothing about the data, and the log gets the exception's type and traceback only
(exception messages can carry SQL parameters, which can be personal data).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from privaat.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidDocument,
    InvalidInput,
    LinkInvalid,
    NotFound,
    PermissionDenied,
    PrivaatError,
    StoreFailed,
    UnreadableInput,
    UsageError,
)

log = logging.getLogger("privaat.api")

PROBLEM = "application/problem+json"

_STATUS: list[tuple[type[PrivaatError], int, str]] = [
    (AuthenticationFailed, 401, "Not authenticated"),
    (PermissionDenied, 403, "Forbidden"),
    (NotFound, 404, "Not found"),
    (Conflict, 409, "Conflict"),
    (LinkInvalid, 400, "Invalid link"),
    (InvalidDocument, 422, "Invalid document"),
    (InvalidInput, 422, "Invalid input"),
    (UnreadableInput, 400, "Unreadable input"),
    (UsageError, 400, "Bad request"),
    (StoreFailed, 502, "A company store failed"),
]

#: Shown in the OpenAPI schema for every route.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["title", "status"],
}


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def status_of(exc: PrivaatError) -> tuple[int, str]:
    for kind, status, title in _STATUS:
        if isinstance(exc, kind):
            return status, title
    return 400, "Bad request"


def install(app: FastAPI) -> None:
    @app.exception_handler(PrivaatError)
    async def _privaat(_request: Request, exc: PrivaatError) -> JSONResponse:
        status, title = status_of(exc)
        extra: dict[str, Any] = {}
        if isinstance(exc, InvalidDocument):
            extra["errors"] = [
                {"file": i.file, "line": i.line, "column": i.column, "message": i.message}
                for i in exc.issues
            ]
        elif isinstance(exc, InvalidInput) and exc.issues:
            extra["errors"] = [{"loc": list(i.loc), "message": i.message} for i in exc.issues]
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        detail = str(exc) if not isinstance(exc, InvalidDocument) else f"{len(exc.issues)} error(s)"
        return problem(status, title, detail, headers, **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "message": str(e.get("msg", ""))} for e in exc.errors()
        ]
        return problem(422, "Invalid input", "the request does not match its schema", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, _title(exc.status_code), str(exc.detail), exc.headers)

    @app.exception_handler(Exception)
    async def _fault(request: Request, exc: Exception) -> JSONResponse:
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error(
            "unexpected %s on %s %s\n%s",
            type(exc).__name__,
            request.method,
            request.url.path,
            frames,
        )
        return problem(500, "Internal server error", "an unexpected error occurred; it was logged")


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"

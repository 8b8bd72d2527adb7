"""Exception handlers that turn every error into an RFC 9457 problem response."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from vantage.core.db import is_database_unavailable, is_transient_conflict
from vantage.core.errors import VantageError, problem_response, vantage_error_response

logger = structlog.get_logger("vantage.errors")
DATABASE_RETRY_AFTER_SECONDS = "2"


def _field_errors(error: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "loc": list(item.get("loc", ())),
            "message": item.get("msg", ""),
            "type": item.get("type", ""),
        }
        for item in error.errors()
    ]


async def _on_vantage_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, VantageError)
    return vantage_error_response(request, exc)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    detail = f"{len(errors)} invalid field{'s' if len(errors) != 1 else ''}"
    return problem_response(request, status=422, detail=detail, errors=errors)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No route matches {request.method} {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    return problem_response(request, status=exc.status_code, detail=detail, headers=exc.headers)


async def _on_database_error(request: Request, exc: Exception) -> Response:
    response = database_problem(request, exc)
    if response is None:
        raise exc
    return response


def database_problem(request: Request, exc: Exception) -> Response | None:
    """The 503 problem of an unavailable backing service or a transaction that gave way to a
    concurrent one; None for any other error."""
    first_line = (str(exc).splitlines() or [""])[0][:300]
    if is_database_unavailable(exc):
        logger.warning("backing service unavailable", error=first_line)
        detail = "A backing service is unavailable; retry shortly."
    elif is_transient_conflict(exc):
        logger.warning("transaction gave way to a concurrent one", error=first_line)
        detail = "A concurrent change got in the way and nothing was changed; retry shortly."
    else:
        return None
    return problem_response(
        request,
        status=503,
        code="UNAVAILABLE",
        detail=detail,
        headers={"Retry-After": DATABASE_RETRY_AFTER_SECONDS},
    )


def error_response(request: Request, exc: Exception) -> Response | None:
    """The problem response the app's handlers give for ``exc``; None where they give a 500.

    For code that answers outside routing (``vantage.core.early_answers``), where the app's
    exception handlers do not apply.
    """
    if isinstance(exc, VantageError):
        return vantage_error_response(request, exc)
    return database_problem(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""
    app.add_exception_handler(VantageError, _on_vantage_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_exception)
    for error_type in (
        sa_exc.DBAPIError,  # asyncpg's deadlocks and serialization failures are plain ones
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        sa_exc.TimeoutError,
        sa_exc.DisconnectionError,
        # Drivers raise refused or reset connections as plain OS errors, unwrapped.
        OSError,
    ):
        app.add_exception_handler(error_type, _on_database_error)

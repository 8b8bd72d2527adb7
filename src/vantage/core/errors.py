"""The error hierarchy and its RFC 9457 (problem+json) rendering."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse

PROBLEM_BASE_URI = "https://vantage.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
# A batch of thousands of items, each wrong in every field, would otherwise answer with
# millions of entries and hundreds of megabytes; the first thousand say what is wrong.
MAX_LISTED_ERRORS = 1000

CODE_BY_STATUS: dict[int, str] = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    500: "INTERNAL",
    502: "UPSTREAM_ERROR",
    503: "UNAVAILABLE",
    504: "TIMEOUT",
}


class VantageError(Exception):
    """Base of every error a client may see; subclasses fix the status and code."""

    status = 500
    code = "INTERNAL"
    title = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


class ValidationFailed(VantageError):
    status, code, title = 422, "VALIDATION_ERROR", "Request validation failed"

    @classmethod
    def field(
        cls, loc: Sequence[str | int], message: str, kind: str = "value_error"
    ) -> ValidationFailed:
        """One invalid field, located the way pydantic locates them."""
        return cls(message, errors=[{"loc": list(loc), "message": message, "type": kind}])


class Unauthorized(VantageError):
    status, code, title = 401, "UNAUTHORIZED", "Authentication required"


class Forbidden(VantageError):
    status, code, title = 403, "FORBIDDEN", "Not allowed"


class NotFound(VantageError):
    status, code, title = 404, "NOT_FOUND", "Not found"


class Conflict(VantageError):
    status, code, title = 409, "CONFLICT", "Conflict"


class PayloadTooLarge(VantageError):
    status, code, title = 413, "PAYLOAD_TOO_LARGE", "Payload too large"


class RateLimited(VantageError):
    status, code, title = 429, "RATE_LIMITED", "Too many requests"


class Unavailable(VantageError):
    status, code, title = 503, "UNAVAILABLE", "Service unavailable"


class UpstreamError(VantageError):
    status, code, title = 502, "UPSTREAM_ERROR", "Upstream error"


class UpstreamTimeout(VantageError):
    status, code, title = 504, "TIMEOUT", "Upstream timed out"


def code_for_status(status: int) -> str:
    """The stable error code for an HTTP status without a more specific one."""
    if status in CODE_BY_STATUS:
        return CODE_BY_STATUS[status]
    return "INTERNAL" if status >= 500 else "VALIDATION_ERROR"


def title_for_status(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def request_id_of(conn: HTTPConnection) -> str | None:
    state = conn.scope.get("state") or {}
    value = state.get("request_id")
    return str(value) if value else None


def problem_body(
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None,
    instance: str,
    request_id: str | None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A problem document: the RFC 9457 members plus Vantage's code, request id and timestamp."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE_URI + code.lower().replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": instance,
        "code": code,
        "request_id": request_id,
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }
    if errors is not None:
        body["errors"] = list(errors[:MAX_LISTED_ERRORS])
        if len(errors) > MAX_LISTED_ERRORS:
            body["errors_total"] = len(errors)
    if extra:
        body.update({key: value for key, value in extra.items() if key not in body})
    return body


def problem_response(
    conn: HTTPConnection,
    *,
    status: int,
    code: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """Render a problem for the request on ``conn``."""
    request_id = request_id_of(conn)
    body = problem_body(
        status=status,
        code=code or code_for_status(status),
        title=title or title_for_status(status),
        detail=detail,
        instance=conn.url.path,
        request_id=request_id,
        errors=errors,
        extra=extra,
    )
    response_headers = dict(headers or {})
    if request_id:
        response_headers.setdefault("X-Request-ID", request_id)
    return JSONResponse(
        body, status_code=status, headers=response_headers, media_type=PROBLEM_MEDIA_TYPE
    )


def vantage_error_response(conn: HTTPConnection, exc: VantageError) -> JSONResponse:
    return problem_response(
        conn,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )

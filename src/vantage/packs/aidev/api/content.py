"""Request bodies of the ingest routes: media type, gzip, and their problems."""

from __future__ import annotations

from starlette.requests import Request

from vantage.core.errors import VantageError
from vantage.packs.aidev.traces.bodies import UnreadableBody, inflate


class UnsupportedMediaType(VantageError):
    status, code, title = 415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type"


class BadRequest(VantageError):
    status, code, title = 400, "VALIDATION_ERROR", "The body cannot be read"


def media_type_of(request: Request) -> str:
    """The request's media type, lower case, without parameters."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def body_of(request: Request, limit: int) -> bytes:
    """The request body, inflated when it is gzip (other encodings are refused)."""
    body = await request.body()
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported; use gzip")
    try:
        return inflate(body, limit)
    except UnreadableBody as error:
        raise BadRequest(str(error)) from error

"""List responses: ``Page[T]``, offset paging and opaque, signed keyset cursors."""

# Annotations stay evaluated here: FastAPI reads the closures' Query() bounds at runtime.
import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel

from vantage.core.context import core_of
from vantage.core.errors import ValidationFailed
from vantage.core.openapi_schema import Documented

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
CURSOR_LOC = ("query", "cursor")
# The shape of every cursor minted here; only its signature says whether it is one of ours.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
CursorText = Annotated[str, Documented(pattern=CURSOR_PATTERN)]


class PaginationMeta(BaseModel):
    limit: int
    offset: int | None = None
    total: int | None = None
    next_cursor: str | None = None


class Page(BaseModel, Generic[T]):
    """One page of a list: ``{"data": [...], "pagination": {...}}``."""

    data: list[T]
    pagination: PaginationMeta


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int
    cursor: str | None


def page_params(max_limit: int = MAX_LIMIT, default_limit: int = DEFAULT_LIMIT) -> Any:
    """A dependency reading ``limit``, ``offset`` and ``cursor`` with the given maximum."""

    async def dependency(
        limit: Annotated[
            int, Query(ge=1, le=max_limit, description="Items per page")
        ] = default_limit,
        offset: Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip")] = 0,
        cursor: Annotated[
            CursorText | None,
            Query(max_length=2048, description="Opaque cursor from `next_cursor`"),
        ] = None,
    ) -> PageParams:
        if cursor is not None and offset:
            raise ValidationFailed.field(CURSOR_LOC, "use either offset or cursor, not both")
        return PageParams(limit=limit, offset=offset, cursor=cursor)

    return Depends(dependency)


Pagination = Annotated[PageParams, page_params()]


def offset_page_params(max_limit: int = MAX_LIMIT, default_limit: int = DEFAULT_LIMIT) -> Any:
    """Like ``page_params`` for lists paged by offset alone: no ``cursor`` is offered."""

    async def dependency(
        limit: Annotated[
            int, Query(ge=1, le=max_limit, description="Items per page")
        ] = default_limit,
        offset: Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip")] = 0,
    ) -> PageParams:
        return PageParams(limit=limit, offset=offset, cursor=None)

    return Depends(dependency)


OffsetPagination = Annotated[PageParams, offset_page_params()]


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
        if "dec" in value:
            return Decimal(value["dec"])
    return value


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    """Signs keyset positions so clients can hold them but cannot forge or move them.

    A cursor is bound to a *scope* (the endpoint and its sort order): a cursor minted for one
    ordering is refused by another instead of silently skipping rows.
    """

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"vantage-cursor:" + secret.encode()).digest()

    def _sign(self, scope: str, payload: bytes) -> bytes:
        return hmac.new(self._key, scope.encode() + b"\x00" + payload, hashlib.sha256).digest()[:16]

    def encode(self, scope: str, values: Sequence[Any]) -> str:
        payload = json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._sign(scope, payload))}"

    def decode(self, scope: str, cursor: str) -> list[Any]:
        """The keyset values in ``cursor``; a 422 problem when it is malformed or not ours."""
        try:
            payload_text, signature_text = cursor.split(".", 1)
            payload, signature = _unb64(payload_text), _unb64(signature_text)
        except ValueError as error:
            raise ValidationFailed.field(CURSOR_LOC, "malformed cursor") from error
        if not hmac.compare_digest(signature, self._sign(scope, payload)):
            raise ValidationFailed.field(CURSOR_LOC, "cursor is invalid for this list and order")
        try:
            values = json.loads(payload)
        except ValueError as error:
            raise ValidationFailed.field(CURSOR_LOC, "malformed cursor") from error
        if not isinstance(values, list):
            raise ValidationFailed.field(CURSOR_LOC, "malformed cursor")
        return [_decode_value(v) for v in values]


async def cursor_codec(request: Request) -> CursorCodec:
    """The application's cursor codec (FastAPI dependency)."""
    return core_of(request).cursor_codec


Cursors = Annotated[CursorCodec, Depends(cursor_codec)]


def page_of(
    items: Sequence[T], params: PageParams, *, total: int | None, next_cursor: str | None = None
) -> Page[T]:
    """Assemble a page; ``offset`` is reported only for offset paging."""
    return Page[T](
        data=list(items),
        pagination=PaginationMeta(
            limit=params.limit,
            offset=None if params.cursor else params.offset,
            total=total,
            next_cursor=next_cursor,
        ),
    )

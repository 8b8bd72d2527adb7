"""Test pack routes for conditional reads: an 'aggregation' guarded by the data watermark."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy import func, select

from vantage.core.auth.dependencies import IngestPrincipal, ReadPrincipal
from vantage.core.auth.models import User
from vantage.core.cache import CachedResponses, check_freshness
from vantage.core.db import ReadSession, WriteSession
from vantage.core.watermarks import bump_watermark, read_watermark

router = APIRouter()
PACK_NAME = "testpack"


class Summary(BaseModel):
    users: int
    watermark: int


@router.get("/summary", response_model=Summary)
async def summary(
    request: Request, response: Response, session: ReadSession, principal: ReadPrincipal
) -> Summary:
    tenant_id = principal.tenant_id
    watermark = await read_watermark(session, tenant_id, PACK_NAME)
    check_freshness(request, response, tenant_id, watermark, max_age=5)
    users = await session.scalar(
        select(func.count()).select_from(User).where(User.tenant_id == tenant_id)
    )
    return Summary(users=int(users or 0), watermark=watermark.version)


@router.get("/summary/cached")
async def cached_summary(
    request: Request, response: Response, session: ReadSession, principal: ReadPrincipal
) -> Response:
    tenant_id = principal.tenant_id
    watermark = await read_watermark(session, tenant_id, PACK_NAME)
    etag = check_freshness(request, response, tenant_id, watermark, max_age=5)
    cache: CachedResponses = request.app.state.response_cache

    async def compute() -> bytes:
        users = await session.scalar(
            select(func.count()).select_from(User).where(User.tenant_id == tenant_id)
        )
        return (
            Summary(users=int(users or 0), watermark=watermark.version).model_dump_json().encode()
        )

    body = await cache.get_or_compute(etag, compute)
    return Response(body, media_type="application/json", headers=dict(response.headers))


@router.post("/ingest", status_code=204)
async def ingest(session: WriteSession, principal: IngestPrincipal) -> None:
    await bump_watermark(session, principal.tenant_id, PACK_NAME)

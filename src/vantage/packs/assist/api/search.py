"""``POST /api/v1/search/similar`` and ``GET /health/ml``."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.db import ReadSession
from vantage.core.ratelimit import rate_limit
from vantage.packs.assist.runtime import AssistRuntimeDep
from vantage.packs.assist.schemas import MlHealthOut, SimilarOut, SimilarRequest
from vantage.packs.assist.service import search

router = APIRouter(tags=["assist"])
reads = APIRouter(dependencies=[Depends(rate_limit("assist.read"))])


@reads.post("/api/v1/search/similar", response_model=SimilarOut, summary="Nearest entries")
async def similar(
    body: SimilarRequest,
    session: ReadSession,
    runtime: AssistRuntimeDep,
    principal: ReadPrincipal,
) -> SimilarOut:
    return await search.similar(session, runtime.memory, principal.tenant_id, body)


@router.get("/health/ml", response_model=MlHealthOut, summary="Embedding model and vector index")
async def ml_health(runtime: AssistRuntimeDep) -> MlHealthOut:
    return search.ml_health(runtime.memory)


router.include_router(reads)

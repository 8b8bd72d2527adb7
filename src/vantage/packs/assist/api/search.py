"""``POST /api/v1/search/similar``, ``GET /api/v1/search/index``,
``POST /api/v1/ai/estimate/story-points`` and ``GET /health/ml``."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.db import ReadSession
from vantage.core.ratelimit import rate_limit
from vantage.packs.assist.runtime import AssistRuntimeDep
from vantage.packs.assist.schemas import (
    MlHealthOut,
    SearchIndexOut,
    SimilarOut,
    SimilarRequest,
    StoryPointsOut,
    StoryPointsRequest,
)
from vantage.packs.assist.service import estimates, search

router = APIRouter(tags=["assist"])
reads = APIRouter(dependencies=[Depends(rate_limit("assist.read"))])


@reads.post("/api/v1/search/similar", response_model=SimilarOut, summary="Nearest entries")
async def similar(
    body: SimilarRequest,
    session: ReadSession,
    runtime: AssistRuntimeDep,
    principal: ReadPrincipal,
) -> SimilarOut:
    delivery = runtime.delivery_running()
    return await search.similar(session, runtime.memory, principal.tenant_id, body, delivery)


@reads.get(
    "/api/v1/search/index",
    response_model=SearchIndexOut,
    summary="What a search of the tenant covers, and its indexes' state",
)
async def search_index(
    session: ReadSession, runtime: AssistRuntimeDep, principal: ReadPrincipal
) -> SearchIndexOut:
    delivery = runtime.delivery_running()
    return await search.tenant_index(session, runtime.memory, principal.tenant_id, delivery)


@reads.post(
    "/api/v1/ai/estimate/story-points",
    response_model=StoryPointsOut,
    summary="Story points for a new work item from its nearest finished ones",
)
async def story_points(
    body: StoryPointsRequest,
    session: ReadSession,
    runtime: AssistRuntimeDep,
    principal: ReadPrincipal,
) -> StoryPointsOut:
    delivery = runtime.delivery_running()
    return await estimates.estimate_story_points(
        session,
        runtime.memory,
        principal.tenant_id,
        body,
        delivery,
        runtime.settings.estimate_min_similarity,
    )


@router.get("/health/ml", response_model=MlHealthOut, summary="Embedding model and vector index")
async def ml_health(session: ReadSession, runtime: AssistRuntimeDep) -> MlHealthOut:
    return await search.ml_health(session, runtime.memory, runtime.delivery_running())


router.include_router(reads)

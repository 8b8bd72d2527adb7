"""``POST /api/v1/ai/query``: validated, read-only, time-limited, row-capped execution."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from vantage.core.auth.dependencies import AnalyzePrincipal
from vantage.core.ratelimit import rate_limit
from vantage.packs.assist.runtime import AssistRuntimeDep
from vantage.packs.assist.schemas import QueryOut, QueryRequest
from vantage.packs.assist.service.query import QueryEngine, run_query

router = APIRouter(
    prefix="/api/v1/ai", tags=["assist"], dependencies=[Depends(rate_limit("assist.query"))]
)


@router.post("/query", response_model=QueryOut, summary="Run one validated read-only query")
async def query(
    body: QueryRequest, runtime: AssistRuntimeDep, principal: AnalyzePrincipal
) -> QueryOut:
    engine = QueryEngine(
        database=runtime.database,
        dialect=runtime.dialect,
        validator=runtime.validator,
        catalog=runtime.catalog,
        settings=runtime.settings,
    )
    return await run_query(engine, principal.tenant_id, body)

"""The learning memory: feedback, healing suggestions and the memory itself."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from vantage.core.auth.dependencies import AnalyzePrincipal, IngestPrincipal, ReadPrincipal
from vantage.core.db import ReadSession, WriteSession
from vantage.core.errors import ValidationFailed
from vantage.core.pagination import Pagination
from vantage.core.ratelimit import rate_limit
from vantage.packs.assist.api.freshness import answer_if_current
from vantage.packs.assist.runtime import AssistRuntimeDep
from vantage.packs.assist.schemas import (
    FeedbackIn,
    FeedbackOut,
    HealingOut,
    LearningEntryOut,
    LearningMemoryPage,
    Outcome,
)
from vantage.packs.assist.service import memory
from vantage.packs.assist.service.healing import healing_suggestions
from vantage.packs.assist.sql.parsing import Dialect

router = APIRouter(tags=["assist"])
reads = APIRouter(dependencies=[Depends(rate_limit("assist.read"))])
writes = APIRouter(dependencies=[Depends(rate_limit("assist.ingest"))])
analysis = APIRouter(dependencies=[Depends(rate_limit("assist.analyze"))])


async def _record(
    body: FeedbackIn,
    session: WriteSession,
    runtime: AssistRuntimeDep,
    principal: IngestPrincipal,
) -> FeedbackOut:
    return await memory.record_feedback(
        session,
        runtime.memory,
        principal.tenant_id,
        body,
        dialect=runtime.dialect,
        recorded_by=f"{principal.kind}:{principal.subject_id}",
        max_sql_bytes=runtime.settings.max_sql_bytes,
    )


writes.add_api_route(
    "/api/v1/ai/learning/record-feedback",
    _record,
    methods=["POST"],
    response_model=FeedbackOut,
    summary="Record how a question's SQL went",
)
writes.add_api_route(
    "/api/v1/ml/learning-memory",
    _record,
    methods=["POST"],
    response_model=FeedbackOut,
    summary="Add an entry to the learning memory",
)


@analysis.get(
    "/api/v1/ai/learning/healing-suggestions",
    response_model=HealingOut,
    summary="Repaired versions of a broken query, each validated",
)
async def healing(
    session: ReadSession,
    runtime: AssistRuntimeDep,
    principal: AnalyzePrincipal,
    sql: Annotated[str, Query(min_length=1, description="The query to repair")],
    dialect: Annotated[Dialect | None, Query(description="postgres or sqlite")] = None,
) -> HealingOut:
    return await healing_suggestions(
        session,
        runtime.healer,
        runtime.memory,
        principal.tenant_id,
        sql,
        dialect or runtime.dialect,
        runtime.settings.max_sql_bytes,
    )


@reads.get(
    "/api/v1/ml/learning-memory", response_model=LearningMemoryPage, summary="Entries, newest first"
)
async def list_memory(
    request: Request,
    response: Response,
    session: ReadSession,
    principal: ReadPrincipal,
    page: Pagination,
    outcome: Outcome | None = None,
) -> LearningMemoryPage:
    if page.cursor is not None:
        raise ValidationFailed.field(("query", "cursor"), "the memory is paged with offset")
    await answer_if_current(request, response, session, principal.tenant_id)
    return await memory.list_memory(session, principal.tenant_id, outcome, page.limit, page.offset)


@reads.get(
    "/api/v1/ml/learning-memory/{entry_id}",
    response_model=LearningEntryOut,
    summary="One entry",
)
async def get_entry(
    request: Request,
    response: Response,
    session: ReadSession,
    principal: ReadPrincipal,
    entry_id: Annotated[int, Path(ge=1, le=2**62)],
) -> LearningEntryOut:
    await answer_if_current(request, response, session, principal.tenant_id)
    return await memory.get_entry(session, principal.tenant_id, entry_id)


router.include_router(writes)
router.include_router(analysis)
router.include_router(reads)

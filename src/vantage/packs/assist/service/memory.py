"""The learning memory: recording how questions' SQL went, listing and retrieving them."""

from __future__ import annotations

from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.db import utcnow
from vantage.core.errors import NotFound
from vantage.core.pagination import PaginationMeta
from vantage.packs.assist.models import LearningEntry
from vantage.packs.assist.repository import learning
from vantage.packs.assist.schemas import (
    FeedbackIn,
    FeedbackOut,
    LearningEntryOut,
    LearningMemoryPage,
    SimilarEntryOut,
)
from vantage.packs.assist.search.memory import MemoryIndexes, entry_text
from vantage.packs.assist.service.freshness import data_changed
from vantage.packs.assist.service.validation import require_size
from vantage.packs.assist.sql.parsing import Dialect

SIMILAR = 5


def entry_out(entry: LearningEntry) -> LearningEntryOut:
    """An entry as the API shows it."""
    return LearningEntryOut.model_validate(entry, from_attributes=True)


async def similar_entries(
    session: AsyncSession, indexes: MemoryIndexes, tenant_id: int, text: str, k: int
) -> list[SimilarEntryOut]:
    """The tenant's ``k`` entries whose question and SQL are most like ``text``."""
    await indexes.refresh(tenant_id, partial(learning.texts_after, session, tenant_id))
    hits = await indexes.search(tenant_id, text, k)
    rows = await learning.entries_by_ids(session, tenant_id, [key for key, _ in hits])
    return [
        SimilarEntryOut(
            id=key,
            score=round(score, 6),
            question=rows[key].question,
            sql=rows[key].sql,
            outcome=rows[key].outcome,
            corrected_sql=rows[key].corrected_sql,
        )
        for key, score in hits
        if key in rows
    ]


async def record_feedback(
    session: AsyncSession,
    indexes: MemoryIndexes,
    tenant_id: int,
    feedback: FeedbackIn,
    *,
    dialect: Dialect,
    recorded_by: str | None,
    max_sql_bytes: int,
) -> FeedbackOut:
    """Store one entry; answer with it and the earlier entries most like it."""
    require_size(feedback.sql, max_sql_bytes)
    if feedback.corrected_sql is not None:
        require_size(feedback.corrected_sql, max_sql_bytes)
    similar = await similar_entries(
        session, indexes, tenant_id, entry_text(feedback.question, feedback.sql), SIMILAR
    )
    entry = await learning.add_entry(
        session,
        LearningEntry(
            tenant_id=tenant_id,
            created_at=utcnow(),
            question=feedback.question,
            sql=feedback.sql,
            dialect=feedback.dialect or dialect,
            outcome=feedback.outcome,
            error_message=feedback.error_message,
            corrected_sql=feedback.corrected_sql,
            corrections=feedback.corrections,
            rating=feedback.rating,
            recorded_by=recorded_by,
        ),
    )
    await data_changed(session, tenant_id)
    return FeedbackOut(entry=entry_out(entry), similar=similar)


async def count_recorded_by(session: AsyncSession, tenant_id: int, recorded_by: str) -> int:
    """How many of the tenant's entries ``recorded_by`` recorded (the demo's, for one)."""
    return await learning.count_recorded_by(session, tenant_id, recorded_by)


async def list_memory(
    session: AsyncSession, tenant_id: int, outcome: str | None, limit: int, offset: int
) -> LearningMemoryPage:
    """A page of the tenant's entries, newest first."""
    rows, total = await learning.list_entries(session, tenant_id, outcome, limit, offset)
    return LearningMemoryPage(
        data=[entry_out(row) for row in rows],
        pagination=PaginationMeta(limit=limit, offset=offset, total=total),
    )


async def get_entry(session: AsyncSession, tenant_id: int, entry_id: int) -> LearningEntryOut:
    """One entry of the tenant; 404 for any other tenant's id."""
    entry = await learning.entry_by_id(session, tenant_id, entry_id)
    if entry is None:
        raise NotFound(f"no learning entry {entry_id}")
    return entry_out(entry)

"""Healing suggestions: deterministic repairs, then fixes remembered for similar queries.

Every suggestion is validated in full before it is offered.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.assist.schemas import HealingOut, HealingSuggestionOut, RepairOut
from vantage.packs.assist.search.memory import MemoryIndexes
from vantage.packs.assist.service.memory import similar_entries
from vantage.packs.assist.service.validation import finding_out, require_size
from vantage.packs.assist.sql.healing import Healer
from vantage.packs.assist.sql.parsing import Dialect

REMEMBERED = 10
MIN_REMEMBERED_SCORE = 0.5


async def healing_suggestions(
    session: AsyncSession,
    healer: Healer,
    indexes: MemoryIndexes,
    tenant_id: int,
    sql: str,
    dialect: Dialect,
    max_sql_bytes: int,
) -> HealingOut:
    """The query's findings and every repaired query that validates, best first."""
    require_size(sql, max_sql_bytes)
    validation = healer.validator.semantics(sql, dialect)
    suggestions: list[HealingSuggestionOut] = []
    healed = healer.heal(sql, dialect)
    if healed is not None:
        repairs = [RepairOut(kind=r.kind, description=r.description) for r in healed.repairs]
        suggestions.append(HealingSuggestionOut(sql=healed.sql, source="repair", repairs=repairs))
    for entry in await similar_entries(session, indexes, tenant_id, sql, REMEMBERED):
        fix = entry.corrected_sql
        if fix is None or entry.score < MIN_REMEMBERED_SCORE:
            continue
        if any(suggestion.sql == fix for suggestion in suggestions):
            continue
        if healer.validator.semantics(fix, dialect).valid:
            suggestions.append(
                HealingSuggestionOut(sql=fix, source="memory", repairs=[], entry_id=entry.id)
            )
    return HealingOut(
        dialect=dialect,
        valid=validation.valid,
        findings=[finding_out(finding) for finding in validation.findings],
        suggestions=suggestions,
    )

"""Healing suggestions: deterministic repairs, then fixes remembered for the same query.

A remembered fix is offered only when the entry's SQL is the query at hand (the same
statement, however it is spelt and spaced): an entry that is merely similar was fixed for
another question, and its corrected SQL could change what this query asks (a ``SUM`` for a
``count``). Every suggestion is validated in full before it is offered.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.assist.schemas import HealingOut, HealingSuggestionOut, RepairOut
from vantage.packs.assist.search.memory import MemoryIndexes
from vantage.packs.assist.service.memory import similar_entries
from vantage.packs.assist.service.validation import finding_out, require_size
from vantage.packs.assist.sql.healing import Healer, canonical
from vantage.packs.assist.sql.parsing import Dialect

REMEMBERED = 10


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
    asked = canonical(sql, dialect)
    for entry in await similar_entries(session, indexes, tenant_id, sql, REMEMBERED):
        fix = entry.corrected_sql
        if fix is None:
            continue
        if canonical(entry.sql, dialect) != asked:
            continue  # fixed for another query: it would answer another question
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

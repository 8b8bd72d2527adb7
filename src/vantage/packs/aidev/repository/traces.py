"""Writing traces (insert-if-new by natural key) and reading developer aliases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.repository import insert_new_rows
from vantage.packs.aidev.models import DeveloperAlias, Trace

TRACE_KEY = ("tenant_id", "request_id")


async def insert_new_traces(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> dict[str, int]:
    """Insert the rows whose ``(tenant_id, request_id)`` is new; their ids by request id.

    The insert tells which rows it wrote (see ``insert_new_rows``), so a duplicate sent by two
    processes at once is counted once.
    """
    table = Trace.__table__
    assert isinstance(table, Table)
    written = await insert_new_rows(session, table, rows, TRACE_KEY, ("id", "request_id"))
    return {request_id: trace_id for trace_id, request_id in written}


async def aliases_for(
    session: AsyncSession, tenant_id: int, aliases: Iterable[str]
) -> dict[str, str]:
    """The developer each of ``aliases`` maps to (only those with a mapping)."""
    wanted = sorted(set(aliases))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = await session.execute(
            select(DeveloperAlias.alias, DeveloperAlias.developer).where(
                DeveloperAlias.tenant_id == tenant_id, DeveloperAlias.alias.in_(chunk)
            )
        )
        found.update({alias: developer for alias, developer in rows.all()})
    return found


async def upsert_aliases(session: AsyncSession, tenant_id: int, mapping: dict[str, str]) -> None:
    """Set each alias's developer (replacing an earlier mapping of the same alias)."""
    for alias, developer in mapping.items():
        row = await session.get(DeveloperAlias, (tenant_id, alias))
        if row is None:
            session.add(DeveloperAlias(tenant_id=tenant_id, alias=alias, developer=developer))
        else:
            row.developer = developer
    await session.flush()


async def list_aliases(session: AsyncSession, tenant_id: int) -> list[tuple[str, str]]:
    """Every alias of the tenant with its developer, by alias."""
    rows = await session.execute(
        select(DeveloperAlias.alias, DeveloperAlias.developer)
        .where(DeveloperAlias.tenant_id == tenant_id)
        .order_by(DeveloperAlias.alias)
        .limit(10_000)
    )
    return [(alias, developer) for alias, developer in rows.all()]

"""Tracked symbols: the symbols a tenant follows, kept per tenant."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.principal import Principal
from vantage.core.errors import NotFound
from vantage.packs.trading.repository import symbols as symbol_rows
from vantage.packs.trading.schemas_symbols import TrackedSymbolOut, TrackedSymbols


def _out(symbol: str, added_at: datetime, added_by: str | None) -> TrackedSymbolOut:
    return TrackedSymbolOut(symbol=symbol, added_at=added_at, added_by=added_by)


async def tracked(session: AsyncSession, tenant_id: int) -> TrackedSymbols:
    """Every symbol the tenant tracks."""
    rows = await symbol_rows.tracked(session, tenant_id)
    return TrackedSymbols(data=[_out(r.symbol, r.added_at, r.added_by) for r in rows])


async def track(
    session: AsyncSession, principal: Principal, symbol: str
) -> tuple[TrackedSymbolOut, bool]:
    """Track ``symbol``; the row, and whether it is new (tracking twice changes nothing)."""
    held = await symbol_rows.find(session, principal.tenant_id, symbol)
    if held is not None:
        return _out(held.symbol, held.added_at, held.added_by), False
    by = principal.email or f"{principal.kind}:{principal.subject_id}"
    row = await symbol_rows.add(session, principal.tenant_id, symbol, datetime.now(UTC), by)
    return _out(row.symbol, row.added_at, row.added_by), True


async def untrack(session: AsyncSession, tenant_id: int, symbol: str) -> None:
    """Stop tracking ``symbol``; 404 when it was not tracked."""
    if not await symbol_rows.remove(session, tenant_id, symbol):
        raise NotFound(f"symbol {symbol!r} is not tracked")

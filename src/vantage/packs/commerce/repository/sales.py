"""Sales per day and status (``commerce_daily_status``): the dashboard's and revenue's source."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.commerce.models import DailyStatus

# Table-level (Core) columns: the rows are plain tuples, and the ORM's per-statement
# bookkeeping costs more than a window's few hundred rows.
DAYS = DailyStatus.__table__


class DailyStatusRow(NamedTuple):
    """Orders of one status on one day."""

    day: date
    status: str
    amount_minor: int
    orders: int
    units: int
    customers: int


async def daily_status_rows(
    session: AsyncSession, tenant_id: int, start: date, end: date
) -> list[DailyStatusRow]:
    """The rows of the days in [start, end), by day."""
    query = (
        select(DAYS.c.day, DAYS.c.status, DAYS.c.amount_minor, DAYS.c.orders, DAYS.c.units,
               DAYS.c.customers)
        .where(DAYS.c.tenant_id == tenant_id, DAYS.c.day >= start, DAYS.c.day < end)
        .order_by(DAYS.c.day)
    )  # fmt: skip
    return [DailyStatusRow(*row) for row in await session.execute(query)]


async def sales_span(session: AsyncSession, tenant_id: int) -> tuple[date, date] | None:
    """The first and last day with any order (None before the first order)."""
    # One subquery per end: SQLite answers a lone min() or max() with one index seek, but
    # both in one SELECT with a scan of the tenant's days.
    of_tenant = DailyStatus.tenant_id == tenant_id
    query = select(
        select(func.min(DailyStatus.day)).where(of_tenant).scalar_subquery(),
        select(func.max(DailyStatus.day)).where(of_tenant).scalar_subquery(),
    )
    first, last = (await session.execute(query)).one()
    return None if first is None else (first, last)

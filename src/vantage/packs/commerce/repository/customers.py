"""Customers, their purchase stats and orders; RFM scores over the stats.

Every query filters on the tenant and is bounded by what the answer shows (one page of
customers, one customer's latest orders and months), not by how many orders exist.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, func, literal, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.db import Key
from vantage.core.dialect import Dialect
from vantage.packs.commerce.models import Customer, CustomerMonth, CustomerStats, Order


class CustomerRow(NamedTuple):
    """A customer with purchases, as one row of a customer page."""

    customer_id: int
    external_id: str
    name: str | None
    country: str | None
    ltv_minor: int
    orders: int
    first_order_at: datetime
    last_order_at: datetime


class CustomerDetailRow(NamedTuple):
    """A customer and its purchase stats (None while it has no purchase)."""

    id: int
    external_id: str
    name: str | None
    country: str | None
    ltv_minor: int | None
    orders: int | None
    first_order_at: datetime | None
    last_order_at: datetime | None


class StatusTotalRow(NamedTuple):
    """A customer's orders of one status and their amount."""

    status: str
    orders: int
    amount_minor: int


class RecentOrderRow(NamedTuple):
    """One of a customer's latest orders."""

    source_id: str
    placed_at: datetime
    status: str
    amount_minor: int
    units: int
    line_count: int


class CustomerMonthRow(NamedTuple):
    """A customer's purchases in one calendar month."""

    month: date
    orders: int
    amount_minor: int


class RfmScoreRow(NamedTuple):
    """Customers sharing a (recency, frequency) score pair, their revenue and repeat buyers."""

    recency: int
    frequency: int
    customers: int
    revenue_minor: int
    repeaters: int


CUSTOMER_SORT_COLUMNS = {
    "ltv": CustomerStats.ltv_minor,
    "orders": CustomerStats.orders,
    "last_order": CustomerStats.last_order_at,
}


async def customer_page(
    session: AsyncSession,
    tenant_id: int,
    *,
    sort: str,
    descending: bool,
    after: tuple[Any, int] | None,
    limit: int,
    offset: int,
    active: tuple[datetime, datetime] | None,
) -> list[CustomerRow]:
    """One page of customers with purchases, in (sort column, customer id) order.

    ``after`` is a keyset position; the row-value comparison walks the matching index.
    ``active`` keeps customers whose last purchase falls in [start, end).
    """
    column = CUSTOMER_SORT_COLUMNS[sort]
    key = (
        (column.desc(), CustomerStats.customer_id.desc())
        if descending
        else (column.asc(), CustomerStats.customer_id.asc())
    )
    query = (
        select(
            CustomerStats.customer_id,
            Customer.external_id,
            Customer.name,
            Customer.country,
            CustomerStats.ltv_minor,
            CustomerStats.orders,
            CustomerStats.first_order_at,
            CustomerStats.last_order_at,
        )
        .join(Customer, Customer.id == CustomerStats.customer_id)
        .where(CustomerStats.tenant_id == tenant_id)
        .order_by(*key)
        .limit(limit)
    )
    if active is not None:
        query = query.where(
            CustomerStats.last_order_at >= active[0], CustomerStats.last_order_at < active[1]
        )
    if after is not None:
        position = tuple_(column, CustomerStats.customer_id)
        bound = tuple_(literal(after[0], column.type), literal(after[1], Key))
        query = query.where(position < bound if descending else position > bound)
    elif offset:
        query = query.offset(offset)
    return [CustomerRow(*row) for row in await session.execute(query)]


async def customer_by_external_id(
    session: AsyncSession, tenant_id: int, external_id: str
) -> CustomerDetailRow | None:
    """A customer and its purchase stats (None stats when it has no purchase)."""
    query = (
        select(
            Customer.id,
            Customer.external_id,
            Customer.name,
            Customer.country,
            CustomerStats.ltv_minor,
            CustomerStats.orders,
            CustomerStats.first_order_at,
            CustomerStats.last_order_at,
        )
        .outerjoin(
            CustomerStats,
            and_(CustomerStats.tenant_id == tenant_id, CustomerStats.customer_id == Customer.id),
        )
        .where(Customer.tenant_id == tenant_id, Customer.external_id == external_id)
    )
    row = (await session.execute(query)).first()
    return None if row is None else CustomerDetailRow(*row)


async def customer_status_totals(
    session: AsyncSession, tenant_id: int, customer_id: int
) -> list[StatusTotalRow]:
    """Orders and amount per status of one customer, from the per-customer order index."""
    orders = Order.__table__  # plain rows: the ORM's bookkeeping is not needed here
    query = (
        select(orders.c.status, func.count(), func.coalesce(func.sum(orders.c.amount_minor), 0))
        .where(orders.c.tenant_id == tenant_id, orders.c.customer_id == customer_id)
        .group_by(orders.c.status)
    )
    return [StatusTotalRow(*row) for row in await session.execute(query)]


async def customer_recent_orders(
    session: AsyncSession, tenant_id: int, customer_id: int, limit: int
) -> list[RecentOrderRow]:
    """The customer's latest orders, latest first."""
    query = (
        select(
            Order.source_id,
            Order.placed_at,
            Order.status,
            Order.amount_minor,
            Order.units,
            Order.line_count,
        )
        .where(Order.tenant_id == tenant_id, Order.customer_id == customer_id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(limit)
    )
    return [RecentOrderRow(*row) for row in await session.execute(query)]


async def customer_months(
    session: AsyncSession, tenant_id: int, customer_id: int, limit: int
) -> list[CustomerMonthRow]:
    """The customer's latest purchase months, oldest first."""
    query = (
        select(CustomerMonth.month, CustomerMonth.orders, CustomerMonth.amount_minor)
        .where(CustomerMonth.tenant_id == tenant_id, CustomerMonth.customer_id == customer_id)
        .order_by(CustomerMonth.month.desc())
        .limit(limit)
    )
    return [CustomerMonthRow(*row) for row in reversed((await session.execute(query)).all())]


RFM_SCORE_COUNTS = text(
    """WITH c AS (
        SELECT last_order_at, orders, ltv_minor FROM commerce_customer_stats
        WHERE tenant_id = :t AND last_order_at >= :start AND last_order_at < :end),
    ranked AS (
        SELECT orders, ltv_minor,
            RANK() OVER (ORDER BY last_order_at ASC) AS r_rank,
            RANK() OVER (ORDER BY orders ASC) AS f_rank,
            COUNT(*) OVER () AS n
        FROM c)
    SELECT 1 + (5 * (r_rank - 1)) / n AS r, 1 + (5 * (f_rank - 1)) / n AS f,
        COUNT(*) AS customers, SUM(ltv_minor) AS revenue,
        SUM(CASE WHEN orders >= 2 THEN 1 ELSE 0 END) AS repeaters
    FROM ranked GROUP BY 1, 2"""
)


async def rfm_score_counts(
    session: AsyncSession, tenant_id: int, start: datetime, end: datetime
) -> list[RfmScoreRow]:
    """Customers, revenue and repeat customers per (recency, frequency) score pair.

    Population: customers whose last purchase falls in [start, end). Scores are 1-5 by rank
    (ties share the lowest rank, so equal values always share a score):
    ``score = 1 + floor(5 * (rank - 1) / n)``; recency ranks the latest purchase first.
    """
    d = Dialect.of(session)
    params = {"t": tenant_id, "start": d.timestamp(start), "end": d.timestamp(end)}
    rows = await session.execute(RFM_SCORE_COUNTS, params)
    return [RfmScoreRow(*(int(value) for value in row)) for row in rows]

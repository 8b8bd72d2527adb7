"""Reads for the analytics endpoints. They aggregate rollups only, never the fact tables.

Every query filters on the tenant and is bounded by what the answer shows (days of a window,
products of the catalogue, one page of customers), not by how many orders exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, literal, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.commerce.models import (
    CohortCell,
    Customer,
    CustomerMonth,
    CustomerStats,
    DailyStatus,
    Key,
    Order,
)
from vantage.packs.commerce.repository.dialect import Dialect


def _dialect(session: AsyncSession) -> Dialect:
    return Dialect(session.get_bind().dialect.name)


async def daily_status_rows(
    session: AsyncSession, tenant_id: int, start: date, end: date
) -> Sequence[Any]:
    """(day, status, amount, orders, units, customers) for days in [start, end)."""
    query = (
        select(
            DailyStatus.day,
            DailyStatus.status,
            DailyStatus.amount_minor,
            DailyStatus.orders,
            DailyStatus.units,
            DailyStatus.customers,
        )
        .where(DailyStatus.tenant_id == tenant_id, DailyStatus.day >= start, DailyStatus.day < end)
        .order_by(DailyStatus.day)
    )
    return (await session.execute(query)).all()


@dataclass(frozen=True)
class ProductWindowRow:
    product_id: int
    external_id: str
    name: str | None
    amount_minor: int
    units: int
    orders: int
    total: int


PRODUCT_SORT_COLUMNS = {"revenue": "amount_minor", "units": "units"}


def _window_sums_sql(low: bool, high: bool, *, lateral: bool, only: str = "") -> str:
    """Sales per product in a window: running total at the end minus at the start.

    A few index seeks per product and bound, whatever the window's length or the order count:
    on PostgreSQL one ``LATERAL`` probe; on SQLite the bound's day, then its row. A window that
    ends after the tenant's last sale uses the all-time totals as its end; one that starts
    before the first sale starts from zero: such bounds cost no seek at all.
    """
    last_day = """(SELECT MAX(q.day) FROM commerce_product_days q WHERE q.tenant_id = :t
                   AND q.product_id = p.product_id AND q.day < {bound})"""
    columns = ("cum_amount_minor", "cum_units", "cum_orders")
    totals = ("s.amount_minor", "s.units", "s.orders")
    ends = [f"COALESCE(h.{c}, 0)" for c in columns] if high else list(totals)
    starts = [f"COALESCE(l.{c}, 0)" for c in columns] if low else ["0", "0", "0"]
    sums = ", ".join(
        f"{end} - {start} AS {name}"
        for end, start, name in zip(ends, starts, ("amount_minor", "units", "orders"), strict=True)
    )
    bounds = "".join(
        f", {last_day.format(bound=bound)} AS {name}"
        for bound, name, wanted in ((":end", "high_day", high), (":start", "low_day", low))
        if wanted
    )
    joins = "".join(
        f""" LEFT JOIN commerce_product_days {alias} ON {alias}.tenant_id = :t
            AND {alias}.product_id = s.product_id AND {alias}.day = s.{name}"""
        for alias, name, wanted in (("h", "high_day", high), ("l", "low_day", low))
        if wanted
    )
    if lateral:
        picked = ", ".join(f"q.{c}" for c in columns)
        joins = "".join(
            f""" LEFT JOIN LATERAL (SELECT {picked} FROM commerce_product_days q
                WHERE q.tenant_id = :t AND q.product_id = s.product_id AND q.day < {bound}
                ORDER BY q.day DESC LIMIT 1) AS {alias} ON true"""
            for alias, bound, wanted in (("h", ":end", high), ("l", ":start", low))
            if wanted
        )
        bounds = ""
    return f"""SELECT s.product_id, {sums}
        FROM (SELECT p.product_id, p.amount_minor, p.units, p.orders{bounds}
              FROM commerce_product_stats p WHERE p.tenant_id = :t{only}) AS s{joins}"""


def _window_revenue_sql(low: bool, high: bool, *, lateral: bool) -> str:
    """Revenue per product in a window, from one index seek per bound (the running total
    before the bound) instead of the two that all three sums take on SQLite."""
    probe = """SELECT q.cum_amount_minor FROM commerce_product_days q
        WHERE q.tenant_id = :t AND q.product_id = p.product_id AND q.day < {bound}
        ORDER BY q.day DESC LIMIT 1"""
    bounds = [(alias, bound) for alias, bound, wanted in (("h", ":end", high), ("l", ":start", low))
              if wanted]  # fmt: skip
    if lateral:  # PostgreSQL runs a join's probes faster than a select list's subqueries
        running = {alias: f"COALESCE({alias}.cum_amount_minor, 0)" for alias, _ in bounds}
        joins = "".join(
            f" LEFT JOIN LATERAL ({probe.format(bound=bound)}) AS {alias} ON true"
            for alias, bound in bounds
        )
    else:
        running = {alias: f"COALESCE(({probe.format(bound=bound)}), 0)" for alias, bound in bounds}
        joins = ""
    end = running.get("h", "p.amount_minor")
    start = running.get("l", "0")
    return f"""SELECT p.product_id, {end} - {start} AS amount_minor
        FROM commerce_product_stats p{joins} WHERE p.tenant_id = :t"""


async def _window_bounds(
    session: AsyncSession, tenant_id: int, window: tuple[date, date] | None
) -> tuple[bool, bool, dict[str, object]]:
    """Which bounds of the window need a seek (see ``_window_sums_sql``), and their values."""
    params: dict[str, object] = {"t": tenant_id}
    if window is None:
        return False, False, params
    span = await sales_span(session, tenant_id)
    low = span is not None and window[0] > span[0]
    high = span is not None and window[1] <= span[1]
    if low or high:
        d = _dialect(session)
        params["start"], params["end"] = d.day(window[0]), d.day(window[1])
    return low, high, params


async def sales_span(session: AsyncSession, tenant_id: int) -> tuple[date, date] | None:
    """The first and last day with any order (None before the first order)."""
    row = (
        await session.execute(
            select(func.min(DailyStatus.day), func.max(DailyStatus.day)).where(
                DailyStatus.tenant_id == tenant_id
            )
        )
    ).one()
    return None if row[0] is None else (row[0], row[1])


async def product_ranking(
    session: AsyncSession,
    tenant_id: int,
    window: tuple[date, date] | None,
    *,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
) -> list[ProductWindowRow]:
    """Products with sales in the window (all time when ``window`` is None), ranked."""
    low, high, params = await _window_bounds(session, tenant_id, window)
    return await _ranked(
        session, _window_sums_sql(low, high, lateral=not _dialect(session).is_sqlite),
        {**params, "limit": limit, "offset": offset}, sort=sort, descending=descending,
    )  # fmt: skip


async def _ranked(
    session: AsyncSession, sums_sql: str, params: dict[str, object], *, sort: str, descending: bool
) -> list[ProductWindowRow]:
    column = PRODUCT_SORT_COLUMNS[sort]
    direction = "DESC" if descending else "ASC"
    sql = f"""WITH w AS ({sums_sql})
        SELECT w.product_id, p.external_id, p.name, w.amount_minor, w.units, w.orders,
            COUNT(*) OVER () AS total
        FROM w JOIN commerce_products p ON p.id = w.product_id
        WHERE w.orders <> 0 OR w.amount_minor <> 0 OR w.units <> 0
        ORDER BY w.{column} {direction}, w.product_id {direction}
        LIMIT :limit OFFSET :offset"""
    rows = (await session.execute(text(sql), params)).all()
    return [ProductWindowRow(*row) for row in rows]


async def top_sellers(
    session: AsyncSession, tenant_id: int, window: tuple[date, date], limit: int
) -> list[ProductWindowRow]:
    """The first ``limit`` rows of the revenue ranking of a window (``total`` not counted).

    Ranked on revenue alone, then the few winners summed in full. When the last winner has
    positive revenue these are the same rows as ``product_ranking``'s: every product that
    ranking leaves out or that has sales but no revenue ranks below it there too. Otherwise
    the full ranking answers.
    """
    if limit <= 0:
        return []
    low, high, params = await _window_bounds(session, tenant_id, window)
    # No WHERE on the revenue: SQLite would evaluate the correlated subquery twice per row.
    lateral = not _dialect(session).is_sqlite
    revenue_sql = _window_revenue_sql(low, high, lateral=lateral)
    ranked_sql = f"""SELECT product_id, amount_minor FROM ({revenue_sql}) AS r
        ORDER BY amount_minor DESC, product_id DESC LIMIT :limit"""
    winners = (await session.execute(text(ranked_sql), {**params, "limit": limit})).all()
    if len(winners) < limit or winners[-1][1] <= 0:
        return await product_ranking(
            session, tenant_id, window, sort="revenue", descending=True, limit=limit, offset=0
        )
    ids = {f"w{index}": row[0] for index, row in enumerate(winners)}
    only = " AND p.product_id IN (" + ", ".join(f":{name}" for name in ids) + ")"
    sums_sql = _window_sums_sql(low, high, lateral=lateral, only=only)
    return await _ranked(
        session, sums_sql, {**params, **ids, "limit": limit, "offset": 0},
        sort="revenue", descending=True,
    )  # fmt: skip


async def count_products_with_sales(session: AsyncSession, tenant_id: int) -> int:
    """Products with any sales ever (the total of an all-time product list)."""
    return int(
        await session.scalar(
            text("SELECT COUNT(*) FROM commerce_product_stats WHERE tenant_id = :t"),
            {"t": tenant_id},
        )
        or 0
    )


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
) -> Sequence[Any]:
    """One page of customers with purchases, in (sort column, customer id) order.

    ``after`` is a keyset position; the row-value comparison walks the matching index.
    ``active`` keeps customers whose last purchase falls in [start, end).
    """
    column = CUSTOMER_SORT_COLUMNS[sort]
    key = (
        (column.desc(), CustomerStats.customer_id.desc())
        if descending
        else (
            column.asc(),
            CustomerStats.customer_id.asc(),
        )
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
    return (await session.execute(query)).all()


async def customer_by_external_id(session: AsyncSession, tenant_id: int, external_id: str) -> Any:
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
    return (await session.execute(query)).first()


async def customer_status_totals(
    session: AsyncSession, tenant_id: int, customer_id: int
) -> Sequence[Any]:
    """(status, orders, amount) of one customer, from the per-customer order index."""
    sql = """SELECT status, COUNT(*), COALESCE(SUM(amount_minor), 0) FROM commerce_orders
        WHERE tenant_id = :t AND customer_id = :c GROUP BY status"""
    return (await session.execute(text(sql), {"t": tenant_id, "c": customer_id})).all()


async def customer_recent_orders(
    session: AsyncSession, tenant_id: int, customer_id: int, limit: int
) -> Sequence[Any]:
    """The customer's latest orders: (source id, placed at, status, amount, units, lines)."""
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
    return (await session.execute(query)).all()


async def customer_months(
    session: AsyncSession, tenant_id: int, customer_id: int, limit: int
) -> Sequence[Any]:
    """The customer's latest purchase months: (month, orders, amount)."""
    query = (
        select(CustomerMonth.month, CustomerMonth.orders, CustomerMonth.amount_minor)
        .where(CustomerMonth.tenant_id == tenant_id, CustomerMonth.customer_id == customer_id)
        .order_by(CustomerMonth.month.desc())
        .limit(limit)
    )
    return list(reversed((await session.execute(query)).all()))


async def cohort_cells(
    session: AsyncSession, tenant_id: int, first_month: date, end: date
) -> Sequence[Any]:
    """(cohort month, month, active customers) for cohorts in [first_month, end)."""
    query = (
        select(CohortCell.cohort_month, CohortCell.month, CohortCell.customers)
        .where(
            CohortCell.tenant_id == tenant_id,
            CohortCell.cohort_month >= first_month,
            CohortCell.cohort_month < end,
            CohortCell.month < end,
        )
        .order_by(CohortCell.cohort_month, CohortCell.month)
    )
    return (await session.execute(query)).all()


async def rfm_score_counts(
    session: AsyncSession, tenant_id: int, start: datetime, end: datetime
) -> Sequence[Any]:
    """(recency score, frequency score, customers, revenue, repeat customers) per score pair.

    Population: customers whose last purchase falls in [start, end). Scores are 1-5 by rank
    (ties share the lowest rank, so equal values always share a score):
    ``score = 1 + floor(5 * (rank - 1) / n)``; recency ranks the latest purchase first.
    """
    d = _dialect(session)
    sql = """WITH c AS (
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
    params = {"t": tenant_id, "start": d.timestamp(start), "end": d.timestamp(end)}
    return (await session.execute(text(sql), params)).all()

"""Product rankings of a window, from the running totals of ``commerce_product_days``.

Every query filters on the tenant and is bounded by the catalogue, not by how many orders
exist: a window's sales per product are the running total before its end minus the running
total before its start, a few index seeks per product and bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    and_,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased
from sqlalchemy.sql.expression import FromClause

from vantage.packs.commerce.models import Product, ProductDay, ProductStats
from vantage.packs.commerce.repository.sales import sales_span

COUNTERS = ("amount_minor", "units", "orders")
RUNNING = {"amount_minor": "cum_amount_minor", "units": "cum_units", "orders": "cum_orders"}
PRODUCT_SORT_COLUMNS = {"revenue": "amount_minor", "units": "units"}
# Written into the SQL rather than bound: the planner sees a one-row probe and a plain zero.
ONE_ROW = literal_column("1", Integer)
ZERO = literal_column("0", BigInteger)


@dataclass(frozen=True)
class ProductWindowRow:
    """One product's sales in a window, and how many products the whole ranking has."""

    product_id: int
    external_id: str
    name: str | None
    amount_minor: int
    units: int
    orders: int
    total: int


@dataclass(frozen=True)
class WindowBounds:
    """The bounds of a window that need a seek: None where the all-time figure answers (a
    window ending after the last sale) or zero does (one starting before the first sale)."""

    start: date | None = None
    end: date | None = None

    def seeks(self) -> list[tuple[str, date]]:
        """(alias, bound) of each bound to seek: ``h`` for the end, ``l`` for the start."""
        return [(alias, bound) for alias, bound in (("h", self.end), ("l", self.start))
                if bound is not None]  # fmt: skip


async def _window_bounds(
    session: AsyncSession, tenant_id: int, window: tuple[date, date] | None
) -> WindowBounds:
    """Which bounds of the window need a seek, and their values."""
    if window is None:
        return WindowBounds()
    span = await sales_span(session, tenant_id)
    if span is None:
        return WindowBounds()
    return WindowBounds(
        start=window[0] if window[0] > span[0] else None,
        end=window[1] if window[1] <= span[1] else None,
    )


def _is_sqlite(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _window_sums(
    tenant_id: int, bounds: WindowBounds, *, lateral: bool, only: Sequence[int] | None = None
) -> Select[Any]:
    """Sales per product in a window: running total at the end minus at the start.

    On PostgreSQL one ``LATERAL`` probe per bound; on SQLite the bound's day, then its row.
    """
    p = aliased(ProductStats, name="p")
    products = select(p.product_id, p.amount_minor, p.units, p.orders).where(
        p.tenant_id == tenant_id
    )
    if only is not None:
        products = products.where(p.product_id.in_(only))
    running: dict[str, FromClause] = {}
    if lateral:
        s = products.subquery("s")
        source: FromClause = s
        for alias, bound in bounds.seeks():
            running[alias] = _latest_running_totals(tenant_id, s.c.product_id, bound, alias)
            source = source.outerjoin(running[alias], true())
    else:
        for alias, bound in bounds.seeks():
            q = ProductDay.__table__.alias("q")
            last_day = select(func.max(q.c.day)).where(
                q.c.tenant_id == tenant_id, q.c.product_id == p.product_id, q.c.day < bound
            )
            products = products.add_columns(last_day.scalar_subquery().label(f"{alias}_day"))
        s = products.subquery("s")
        source = s
        for alias, _ in bounds.seeks():
            row = ProductDay.__table__.alias(alias)
            on_day = and_(
                row.c.tenant_id == tenant_id,
                row.c.product_id == s.c.product_id,
                row.c.day == s.c[f"{alias}_day"],
            )
            source = source.outerjoin(row, on_day)
            running[alias] = row
    sums = [_difference(s.c[name], running, RUNNING[name]).label(name) for name in COUNTERS]
    return select(s.c.product_id, *sums).select_from(source)


def _latest_running_totals(
    tenant_id: int,
    product_id: ColumnElement[int] | InstrumentedAttribute[int],
    bound: date,
    alias: str,
) -> FromClause:
    """The running totals of the product's last day before ``bound`` (a LATERAL probe)."""
    q = ProductDay.__table__.alias("q")
    return (
        select(q.c.cum_amount_minor, q.c.cum_units, q.c.cum_orders)
        .where(q.c.tenant_id == tenant_id, q.c.product_id == product_id, q.c.day < bound)
        .order_by(q.c.day.desc())
        .limit(ONE_ROW)
        .lateral(alias)
    )


def _difference(
    all_time: ColumnElement[int], running: dict[str, FromClause], column: str
) -> ColumnElement[int]:
    """End minus start of one counter: all time when the end needs no seek, minus zero when
    the start needs none."""
    end = func.coalesce(running["h"].c[column], ZERO) if "h" in running else all_time
    if "l" not in running:
        return end
    return end - func.coalesce(running["l"].c[column], ZERO)


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
    bounds = await _window_bounds(session, tenant_id, window)
    sums = _window_sums(tenant_id, bounds, lateral=not _is_sqlite(session))
    return await _ranked(session, tenant_id, sums, sort=sort, descending=descending,
                         limit=limit, offset=offset)  # fmt: skip


async def _ranked(
    session: AsyncSession,
    tenant_id: int,
    sums: Select[Any],
    *,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
) -> list[ProductWindowRow]:
    w = sums.cte("w")
    column, tiebreak = w.c[PRODUCT_SORT_COLUMNS[sort]], w.c.product_id
    order = (column.desc(), tiebreak.desc()) if descending else (column.asc(), tiebreak.asc())
    query = (
        select(
            w.c.product_id,
            Product.external_id,
            Product.name,
            w.c.amount_minor,
            w.c.units,
            w.c.orders,
            func.count().over().label("total"),
        )
        .select_from(w)
        .join(Product, and_(Product.id == w.c.product_id, Product.tenant_id == tenant_id))
        .where(or_(w.c.orders != 0, w.c.amount_minor != 0, w.c.units != 0))
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    rows = (await session.execute(query)).all()
    return [ProductWindowRow(*row) for row in rows]


def _window_revenue(tenant_id: int, bounds: WindowBounds, *, lateral: bool) -> Select[Any]:
    """Revenue per product in a window, from one index seek per bound (the running total
    before the bound) instead of the two that all three sums take on SQLite."""
    p = aliased(ProductStats, name="p")
    running: dict[str, ColumnElement[int]] = {}
    query = select(p.product_id)
    joins: list[FromClause] = []
    for alias, bound in bounds.seeks():
        if lateral:  # PostgreSQL runs a join's probes faster than a select list's subqueries
            probe = _latest_running_totals(tenant_id, p.product_id, bound, alias)
            joins.append(probe)
            running[alias] = func.coalesce(probe.c.cum_amount_minor, ZERO)
        else:
            q = ProductDay.__table__.alias("q")
            latest = (
                select(q.c.cum_amount_minor)
                .where(q.c.tenant_id == tenant_id, q.c.product_id == p.product_id, q.c.day < bound)
                .order_by(q.c.day.desc())
                .limit(ONE_ROW)
                .scalar_subquery()
            )
            running[alias] = func.coalesce(latest, ZERO)
    end = running.get("h", p.amount_minor)
    revenue = end - running["l"] if "l" in running else end
    query = query.add_columns(revenue.label("amount_minor")).where(p.tenant_id == tenant_id)
    for probe in joins:
        query = query.outerjoin(probe, true())
    return query


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
    bounds = await _window_bounds(session, tenant_id, window)
    lateral = not _is_sqlite(session)
    # No WHERE on the revenue: SQLite would evaluate the correlated subquery twice per row.
    r = _window_revenue(tenant_id, bounds, lateral=lateral).subquery("r")
    ranked = (
        select(r.c.product_id, r.c.amount_minor)
        .order_by(r.c.amount_minor.desc(), r.c.product_id.desc())
        .limit(limit)
    )
    winners = (await session.execute(ranked)).all()
    if len(winners) < limit or winners[-1].amount_minor <= 0:
        return await product_ranking(
            session, tenant_id, window, sort="revenue", descending=True, limit=limit, offset=0
        )
    only = [row.product_id for row in winners]
    sums = _window_sums(tenant_id, bounds, lateral=lateral, only=only)
    return await _ranked(
        session, tenant_id, sums, sort="revenue", descending=True, limit=limit, offset=0
    )


async def count_products_with_sales(session: AsyncSession, tenant_id: int) -> int:
    """Products with any sales ever (the total of an all-time product list)."""
    query = (
        select(func.count()).select_from(ProductStats).where(ProductStats.tenant_id == tenant_id)
    )
    return int(await session.scalar(query) or 0)

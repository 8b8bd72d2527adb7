"""Product rankings of a window, from the running totals of ``commerce_product_days``.

Every query filters on the tenant and is bounded by the catalogue, not by how many orders
exist: a window's sales per product are the running total before its end minus the running
total before its start, a few index seeks per product and bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import FromClause

from vantage.core.dialect import Dialect
from vantage.packs.commerce.models import Product, ProductDay, ProductStats
from vantage.packs.commerce.repository.sales import sales_span

COUNTERS = ("amount_minor", "units", "orders")
RUNNING = {"amount_minor": "cum_amount_minor", "units": "cum_units", "orders": "cum_orders"}
PRODUCT_SORT_COLUMNS = {"revenue": "amount_minor", "units": "units"}
# Table-level (Core) columns: these reads return plain rows, and the ORM's per-statement
# bookkeeping would cost more than the queries themselves.
STATS, DAYS, PRODUCTS = ProductStats.__table__, ProductDay.__table__, Product.__table__
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


# The seeks a window needs: ``h`` for its end (bound ``:end``), ``l`` for its start (``:start``).
# None where the all-time figure answers (a window ending after the last sale) or zero does
# (one starting before the first sale).
Seeks = tuple[str, ...]
BOUND_OF = {"h": "end", "l": "start"}


@dataclass(frozen=True)
class WindowBounds:
    """The bounds of a window that need a seek, and the statement parameters they bind."""

    seeks: Seeks
    params: dict[str, object]


async def _window_bounds(
    session: AsyncSession, tenant_id: int, window: tuple[date, date] | None
) -> WindowBounds:
    """Which bounds of the window need a seek, and their values."""
    params: dict[str, object] = {"t": tenant_id}
    span = None if window is None else await sales_span(session, tenant_id)
    if window is None or span is None:
        return WindowBounds((), params)
    seeks = tuple(alias for alias, wanted in (("h", window[1] <= span[1]),
                                              ("l", window[0] > span[0])) if wanted)  # fmt: skip
    params.update(start=window[0], end=window[1])
    return WindowBounds(seeks, params)


def _both_bounds(tenant_id: int, window: tuple[date, date]) -> WindowBounds:
    """Both seeks, without reading where the tenant's sales begin and end: for a read of a few
    products the extra seeks cost less than the statement that could spare them."""
    return WindowBounds(("h", "l"), {"t": tenant_id, "start": window[0], "end": window[1]})


# Statements are built once per shape and cached: building a Core statement costs more than
# running these queries. Values are bound parameters (:t, :start, :end, :only, :limit, :offset).
def _window_sums(seeks: Seeks, *, lateral: bool, only: bool) -> Select[Any]:
    """Sales per product in a window: running total at the end minus at the start.

    On PostgreSQL one ``LATERAL`` probe per bound; on SQLite the bound's day, then its row.
    """
    tenant: BindParameter[Any] = bindparam("t")
    p = STATS.alias("p")
    products = select(p.c.product_id, p.c.amount_minor, p.c.units, p.c.orders).where(
        p.c.tenant_id == tenant
    )
    if only:
        products = products.where(p.c.product_id.in_(bindparam("only", expanding=True)))
    running: dict[str, FromClause] = {}
    if lateral:
        s = products.subquery("s")
        source: FromClause = s
        for alias in seeks:
            running[alias] = _latest_running_totals(s.c.product_id, alias)
            source = source.outerjoin(running[alias], true())
    else:
        for alias in seeks:
            q = DAYS.alias("q")
            last_day = select(func.max(q.c.day)).where(
                q.c.tenant_id == tenant,
                q.c.product_id == p.c.product_id,
                q.c.day < bindparam(BOUND_OF[alias]),
            )
            products = products.add_columns(last_day.scalar_subquery().label(f"{alias}_day"))
        s = products.subquery("s")
        source = s
        for alias in seeks:
            row = DAYS.alias(alias)
            on_day = and_(
                row.c.tenant_id == tenant,
                row.c.product_id == s.c.product_id,
                row.c.day == s.c[f"{alias}_day"],
            )
            source = source.outerjoin(row, on_day)
            running[alias] = row
    sums = [_difference(s.c[name], running, RUNNING[name]).label(name) for name in COUNTERS]
    return select(s.c.product_id, *sums).select_from(source)


def _latest_running_totals(product_id: ColumnElement[int], alias: str) -> FromClause:
    """The running totals of the product's last day before the bound (a LATERAL probe)."""
    q = DAYS.alias("q")
    return (
        select(q.c.cum_amount_minor, q.c.cum_units, q.c.cum_orders)
        .where(
            q.c.tenant_id == bindparam("t"),
            q.c.product_id == product_id,
            q.c.day < bindparam(BOUND_OF[alias]),
        )
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


@cache
def _ranking(seeks: Seeks, lateral: bool, only: bool, sort: str, descending: bool) -> Select[Any]:
    """Products with sales in the window, ranked, one page (``:limit``, ``:offset``)."""
    w = _window_sums(seeks, lateral=lateral, only=only).cte("w")
    # Ties go by the product's own id: internal ids depend on the order products arrived in.
    column, tiebreak = w.c[PRODUCT_SORT_COLUMNS[sort]], PRODUCTS.c.external_id
    order = (column.desc(), tiebreak.desc()) if descending else (column.asc(), tiebreak.asc())
    return (
        select(
            w.c.product_id,
            PRODUCTS.c.external_id,
            PRODUCTS.c.name,
            w.c.amount_minor,
            w.c.units,
            w.c.orders,
            func.count().over().label("total"),
        )
        .select_from(w)
        .join(
            PRODUCTS, and_(PRODUCTS.c.id == w.c.product_id, PRODUCTS.c.tenant_id == bindparam("t"))
        )
        .where(or_(w.c.orders != 0, w.c.amount_minor != 0, w.c.units != 0))
        .order_by(*order)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


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
    query = _ranking(bounds.seeks, not Dialect.of(session).is_sqlite, False, sort, descending)
    rows = await session.execute(query, {**bounds.params, "limit": limit, "offset": offset})
    return [ProductWindowRow(*row) for row in rows]


# The first page of the walk by gross revenue; each further page is twice as long, so a
# tenant whose sales are spread thin costs a few statements, not one per page of 64.
FIRST_GROSS_PAGE = 64


async def top_sellers(
    session: AsyncSession, tenant_id: int, window: tuple[date, date], limit: int
) -> list[ProductWindowRow]:
    """The first ``limit`` rows of the revenue ranking of a window (``total`` not counted).

    The candidates come from ``_top_revenue_candidates``, then the few of them are summed in
    full and ranked. When fewer than ``limit`` products have positive revenue in the window
    the full ranking answers: products without revenue rank by their own id among the rest.
    """
    if limit <= 0:
        return []
    bounds = _both_bounds(tenant_id, window)
    lateral = not Dialect.of(session).is_sqlite
    candidates = await _top_revenue_candidates(session, bounds, lateral, limit)
    if candidates is None:
        return await product_ranking(
            session, tenant_id, window, sort="revenue", descending=True, limit=limit, offset=0
        )
    query = _ranking(bounds.seeks, lateral, True, "revenue", True)
    params = {**bounds.params, "only": candidates, "limit": limit, "offset": 0}
    return [ProductWindowRow(*row) for row in await session.execute(query, params)]


async def _top_revenue_candidates(
    session: AsyncSession, bounds: WindowBounds, lateral: bool, limit: int
) -> list[int] | None:
    """Every product whose revenue in the window reaches the ``limit``-th best, or None when
    fewer than ``limit`` products have positive revenue there.

    No window's revenue exceeds a product's gross (revenue before returns), so products are
    read in descending gross, a page at a time, until the next gross is below the
    ``limit``-th best revenue found: the products after it cannot reach the head. Sales are
    concentrated, so this reads a few dozen products of a catalogue of thousands.
    """
    found: list[tuple[int, int]] = []  # (revenue, product id), positive revenue only
    after: tuple[int, int] | None = None
    page = FIRST_GROSS_PAGE
    while True:
        params = {**bounds.params, "page": page}
        if after is not None:
            params.update(after_gross=after[0], after_id=after[1])
        walk = _gross_walk(bounds.seeks, lateral, after is not None)
        rows = (await session.execute(walk, params)).all()
        found += [(row.amount_minor, row.product_id) for row in rows if row.amount_minor > 0]
        found.sort(reverse=True)
        best = found[limit - 1][0] if len(found) >= limit else None
        if len(rows) < page or (best is not None and rows[-1].gross_minor < best):
            break
        after, page = (rows[-1].gross_minor, rows[-1].product_id), page * 2
    if best is None:
        return None
    return [product for revenue, product in found if revenue >= best]


@cache
def _gross_walk(seeks: Seeks, lateral: bool, keyset: bool) -> Select[Any]:
    """One page (``:page``) of products by descending gross, after (``:after_gross``,
    ``:after_id``) when ``keyset``, each with its revenue in the window: the running total
    before the window's end minus the one before its start (one index seek per bound)."""
    # The page is cut before any seek: PostgreSQL would otherwise probe every product and
    # sort afterwards.
    stats = STATS.alias("s")
    page = select(stats.c.product_id, stats.c.gross_minor, stats.c.amount_minor).where(
        stats.c.tenant_id == bindparam("t")
    )
    if keyset:
        after = tuple_(bindparam("after_gross"), bindparam("after_id"))
        page = page.where(tuple_(stats.c.gross_minor, stats.c.product_id) < after)
    by_gross = (stats.c.gross_minor.desc(), stats.c.product_id.desc())
    p = page.order_by(*by_gross).limit(bindparam("page")).subquery("p")
    running: dict[str, ColumnElement[int]] = {}
    joins: list[FromClause] = []
    for alias in seeks:
        if lateral:  # PostgreSQL runs a join's probes faster than a select list's subqueries
            probe = _latest_running_totals(p.c.product_id, alias)
            joins.append(probe)
            running[alias] = func.coalesce(probe.c.cum_amount_minor, ZERO)
        else:
            q = DAYS.alias("q")
            latest = (
                select(q.c.cum_amount_minor)
                .where(
                    q.c.tenant_id == bindparam("t"),
                    q.c.product_id == p.c.product_id,
                    q.c.day < bindparam(BOUND_OF[alias]),
                )
                .order_by(q.c.day.desc())
                .limit(ONE_ROW)
                .scalar_subquery()
            )
            running[alias] = func.coalesce(latest, ZERO)
    end = running.get("h", p.c.amount_minor)
    revenue = end - running["l"] if "l" in running else end
    source: FromClause = p
    for probe in joins:
        source = source.outerjoin(probe, true())
    return (
        select(p.c.product_id, p.c.gross_minor, revenue.label("amount_minor"))
        .select_from(source)
        .order_by(p.c.gross_minor.desc(), p.c.product_id.desc())
    )


async def count_products_with_sales(session: AsyncSession, tenant_id: int) -> int:
    """Products with any sales ever (the total of an all-time product list)."""
    query = select(func.count()).select_from(STATS).where(STATS.c.tenant_id == tenant_id)
    return int(await session.scalar(query) or 0)

"""The endpoints' numbers, recomputed the obvious way: plain SQL over orders and order lines.

No rollup table is read here. Property tests compare these to the services' answers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import Dialect
from vantage.packs.commerce.domain.money import from_minor, ratio_money
from vantage.packs.commerce.service.analytics import bucket_start
from vantage.packs.commerce.service.cohorts import months_between, rate
from vantage.packs.commerce.service.rfm import segment_of


def _d(session: AsyncSession) -> Dialect:
    return Dialect(session.get_bind().dialect.name)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _time(value: Any) -> datetime:
    from datetime import UTC

    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


async def _rows(session: AsyncSession, sql: str, **params: Any) -> list[Any]:
    return list((await session.execute(text(sql), params)).all())


@dataclass
class RawOrder:
    source_id: str
    customer: str | None
    placed_at: datetime
    day: date
    status: str
    amount: int
    units: int


async def raw_orders(session: AsyncSession, tenant_id: int) -> list[RawOrder]:
    """Every order with its amount and units summed from its lines."""
    rows = await _rows(
        session,
        """SELECT o.source_id, c.external_id, o.placed_at, o.status,
            (SELECT COALESCE(SUM(l.quantity * l.unit_price_minor), 0)
             FROM commerce_order_lines l WHERE l.order_id = o.id),
            (SELECT COALESCE(SUM(l.quantity), 0)
             FROM commerce_order_lines l WHERE l.order_id = o.id)
        FROM commerce_orders o LEFT JOIN commerce_customers c ON c.id = o.customer_id
        WHERE o.tenant_id = :t""",
        t=tenant_id,
    )
    orders = []
    for source_id, customer, placed_at, status, amount, units in rows:
        placed = _time(placed_at)
        orders.append(
            RawOrder(source_id, customer, placed, placed.date(), status, int(amount), int(units))
        )
    return orders


async def raw_product_sales(
    session: AsyncSession, tenant_id: int, start: date | None, end: date | None
) -> dict[str, tuple[int, int, int]]:
    """product -> (revenue, units, completed orders containing it), completed orders only."""
    d = _d(session)
    rows = await _rows(
        session,
        """SELECT p.external_id, SUM(l.quantity * l.unit_price_minor), SUM(l.quantity),
            COUNT(DISTINCT o.id)
        FROM commerce_order_lines l
        JOIN commerce_orders o ON o.id = l.order_id
        JOIN commerce_products p ON p.id = l.product_id
        WHERE o.tenant_id = :t AND o.status = 'completed' AND o.day >= :start AND o.day < :end
        GROUP BY p.external_id""",
        t=tenant_id,
        start=d.day(start or date(1, 1, 1)),
        end=d.day(end or date(9999, 12, 31)),
    )
    return {
        product: (int(amount), int(units), int(orders)) for product, amount, units, orders in rows
    }


async def product_day_errors(session: AsyncSession, tenant_id: int) -> list[str]:
    """Stored product days whose sales or running totals differ from raw SQL over the orders."""
    rows = await _rows(
        session,
        """SELECT p.external_id, d.day, d.amount_minor, d.units, d.orders,
            d.cum_amount_minor, d.cum_units, d.cum_orders
        FROM commerce_product_days d JOIN commerce_products p ON p.id = d.product_id
        WHERE d.tenant_id = :t""",
        t=tenant_id,
    )
    errors = []
    for product, stored_day, *figures in rows:
        day = _day(stored_day)
        after = day + timedelta(days=1)
        on_day = (await raw_product_sales(session, tenant_id, day, after)).get(product)
        through = (await raw_product_sales(session, tenant_id, None, after)).get(product)
        expected = [*(on_day or (0, 0, 0)), *(through or (0, 0, 0))]
        if [int(f) for f in figures] != expected:
            errors.append(f"{product} {day}: stored {figures}, raw {expected}")
    return errors


async def product_stats_errors(session: AsyncSession, tenant_id: int) -> list[str]:
    """Stored all-time product figures that differ from raw SQL over the orders; the gross is
    the sum of each completed order's positive amount for the product."""
    stored = await _rows(
        session,
        """SELECT p.external_id, s.amount_minor, s.units, s.orders, s.gross_minor
        FROM commerce_product_stats s JOIN commerce_products p ON p.id = s.product_id
        WHERE s.tenant_id = :t""",
        t=tenant_id,
    )
    per_order = await _rows(
        session,
        """SELECT p.external_id, SUM(l.quantity * l.unit_price_minor)
        FROM commerce_order_lines l
        JOIN commerce_orders o ON o.id = l.order_id
        JOIN commerce_products p ON p.id = l.product_id
        WHERE o.tenant_id = :t AND o.status = 'completed'
        GROUP BY p.external_id, o.id""",
        t=tenant_id,
    )
    gross: defaultdict[str, int] = defaultdict(int)
    for product, amount in per_order:
        gross[product] += max(int(amount), 0)
    sales = await raw_product_sales(session, tenant_id, None, None)
    expected = {product: [*figures, gross[product]] for product, figures in sales.items()}
    got = {product: [int(f) for f in figures] for product, *figures in stored}
    return [
        f"{product}: stored {got.get(product)}, raw {expected.get(product)}"
        for product in sorted(set(got) | set(expected))
        if got.get(product) != expected.get(product)
    ]


def status_totals(orders: list[RawOrder], start: date, end: date) -> dict[str, Any]:
    """What the dashboard reports for the window."""
    inside = [o for o in orders if start <= o.day < end]
    completed = [o for o in inside if o.status == "completed"]
    revenue = sum(o.amount for o in completed)
    counts: defaultdict[str, int] = defaultdict(int)
    for order in inside:
        counts[order.status] += 1
    return {
        "revenue": from_minor(revenue),
        "refunds": from_minor(sum(o.amount for o in inside if o.status == "refunded")),
        "transactions": len(inside),
        "orders_by_status": {
            s: counts[s] for s in ("completed", "pending", "cancelled", "refunded")
        },
        "aov": ratio_money(revenue, len(completed)),
        "units": sum(o.units for o in completed),
    }


def daily(orders: list[RawOrder], day: date) -> dict[str, Any]:
    on_day = [o for o in orders if o.day == day]
    completed = [o for o in on_day if o.status == "completed"]
    return {
        "revenue": from_minor(sum(o.amount for o in completed)),
        "transactions": len(on_day),
        "completed_orders": len(completed),
        "customers": len({o.customer for o in completed if o.customer is not None}),
    }


def revenue_buckets(
    orders: list[RawOrder], start: date, end: date, granularity: str
) -> dict[date, dict[str, Any]]:
    buckets: dict[date, list[RawOrder]] = defaultdict(list)
    for order in orders:
        if start <= order.day < end:
            buckets[bucket_start(order.day, granularity)].append(order)  # type: ignore[arg-type]
    result = {}
    for period, members in buckets.items():
        completed = [o for o in members if o.status == "completed"]
        amount = sum(o.amount for o in completed)
        result[period] = {
            "revenue": from_minor(amount),
            "refunds": from_minor(sum(o.amount for o in members if o.status == "refunded")),
            "orders": len(completed),
            "transactions": len(members),
            "units": sum(o.units for o in completed),
            "aov": ratio_money(amount, len(completed)),
        }
    return result


@dataclass
class RawCustomer:
    id: str
    ltv: int
    orders: int
    first: datetime
    last: datetime


def customers(orders: list[RawOrder]) -> dict[str, RawCustomer]:
    """Customers with at least one completed order."""
    result: dict[str, RawCustomer] = {}
    for order in orders:
        if order.status != "completed" or order.customer is None:
            continue
        known = result.get(order.customer)
        if known is None:
            result[order.customer] = RawCustomer(
                order.customer, order.amount, 1, order.placed_at, order.placed_at
            )
        else:
            known.ltv += order.amount
            known.orders += 1
            known.first = min(known.first, order.placed_at)
            known.last = max(known.last, order.placed_at)
    return result


def cohort_matrix(orders: list[RawOrder], first_month: date, end: date) -> dict[date, list[int]]:
    """cohort month -> active customers per month offset, months before ``end``."""
    by_customer = customers(orders)
    active: dict[str, set[date]] = defaultdict(set)
    for order in orders:
        if order.status == "completed" and order.customer is not None:
            active[order.customer].add(order.day.replace(day=1))
    last_month = date.fromordinal(end.toordinal() - 1).replace(day=1)
    matrix: dict[date, list[int]] = {}
    for customer, stats in by_customer.items():
        cohort = stats.first.date().replace(day=1)
        if cohort < first_month or cohort >= end:
            continue
        row = matrix.setdefault(cohort, [0] * (months_between(cohort, last_month) + 1))
        for month in active[customer]:
            if month < end:
                row[months_between(cohort, month)] += 1
    return matrix


def rfm_segments(orders: list[RawOrder], start: datetime, end: datetime) -> dict[str, Any]:
    """Segments of customers whose last purchase is in [start, end), ranks computed by hand."""
    population = [c for c in customers(orders).values() if start <= c.last < end]
    n = len(population)
    counts: dict[str, int] = defaultdict(int)
    revenue: dict[str, int] = defaultdict(int)
    for customer in population:
        r_rank = 1 + sum(1 for other in population if other.last < customer.last)
        f_rank = 1 + sum(1 for other in population if other.orders < customer.orders)
        segment = segment_of(1 + 5 * (r_rank - 1) // n, 1 + 5 * (f_rank - 1) // n)
        counts[segment] += 1
        revenue[segment] += customer.ltv
    repeaters = sum(1 for c in population if c.orders >= 2)
    return {
        "customers": n,
        "repeat_purchase_rate": rate(repeaters, n) if n else None,
        "segments": {
            name: (
                counts[name],
                from_minor(revenue[name]),
                rate(counts[name], n) if n else Decimal("0.0000"),
            )
            for name in set(counts) | {"champions"}
        },
    }

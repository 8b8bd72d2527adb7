"""Dashboard and revenue: sums of the daily x status rollup over a window of whole UTC days."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.windows import TimeWindow
from vantage.packs.commerce.domain.money import from_minor, ratio_money
from vantage.packs.commerce.ingest.batch import OrderStatus
from vantage.packs.commerce.repository import products as product_reads
from vantage.packs.commerce.repository import sales
from vantage.packs.commerce.repository.sales import DailyStatusRow
from vantage.packs.commerce.schemas import (
    DashboardOut,
    ProductOut,
    RevenueOut,
    RevenuePoint,
    StatusCounts,
    TrendPoint,
)

Granularity = Literal["day", "week", "month"]
COMPLETED, REFUNDED = OrderStatus.COMPLETED.value, OrderStatus.REFUNDED.value


@dataclass(frozen=True)
class ReadScope:
    """Who is asking and what every answer carries besides its numbers."""

    tenant_id: int
    data_as_of: datetime | None
    currency: str


AMOUNT, ORDERS, UNITS, CUSTOMERS = range(4)


class Tally:
    """Sums of daily x status rows (one day, one bucket, or a whole window), per status."""

    __slots__ = ("by_status",)

    def __init__(self) -> None:
        self.by_status: dict[str, list[int]] = {}

    def add(self, row: DailyStatusRow) -> None:
        _, status, amount, orders, units, customers = row
        sums = self.by_status.get(status)
        if sums is None:
            self.by_status[status] = [amount, orders, units, customers]
        else:
            sums[AMOUNT] += amount
            sums[ORDERS] += orders
            sums[UNITS] += units
            sums[CUSTOMERS] += customers

    def of(self, status: str, measure: int) -> int:
        sums = self.by_status.get(status)
        return sums[measure] if sums else 0

    @property
    def revenue(self) -> int:
        return self.of(COMPLETED, AMOUNT)

    @property
    def transactions(self) -> int:
        return sum(sums[ORDERS] for sums in self.by_status.values())

    def status_counts(self) -> StatusCounts:
        return StatusCounts(**{s.value: self.of(s.value, ORDERS) for s in OrderStatus})


EMPTY = Tally()


def _tally(rows: Iterable[DailyStatusRow]) -> Tally:
    tally = Tally()
    for row in rows:
        tally.add(row)
    return tally


def _days(window: TimeWindow) -> tuple[date, date]:
    return window.start.date(), window.end.date()


def product_out(row: product_reads.ProductWindowRow) -> ProductOut:
    return ProductOut(
        id=row.external_id,
        name=row.name,
        revenue=from_minor(row.amount_minor),
        units=row.units,
        orders=row.orders,
    )


def _trend(rows: Sequence[DailyStatusRow], first: date, end: date) -> list[TrendPoint]:
    by_day: dict[date, Tally] = defaultdict(Tally)
    for row in rows:
        if row.day >= first:
            by_day[row.day].add(row)
    points = []
    day = first
    while day < end:
        tally = by_day.get(day, EMPTY)
        points.append(
            TrendPoint(
                date=day,
                revenue=from_minor(tally.revenue),
                transactions=tally.transactions,
                completed_orders=tally.of(COMPLETED, ORDERS),
                customers=tally.of(COMPLETED, CUSTOMERS),
            )
        )
        day += timedelta(days=1)
    return points


async def dashboard(
    session: AsyncSession, scope: ReadScope, window: TimeWindow, *, top: int, trend_days: int
) -> DashboardOut:
    """Totals, status mix, AOV, top products and the recent daily trend of a window."""
    start, end = _days(window)
    rows = await sales.daily_status_rows(session, scope.tenant_id, start, end)
    totals = _tally(rows)
    ranking = await product_reads.top_sellers(session, scope.tenant_id, (start, end), top)
    trend_start = max(start, end - timedelta(days=trend_days))
    return DashboardOut(
        window=window.out(),
        data_as_of=scope.data_as_of,
        currency=scope.currency,
        revenue=from_minor(totals.revenue),
        refunds=from_minor(totals.of(REFUNDED, AMOUNT)),
        transactions=totals.transactions,
        orders_by_status=totals.status_counts(),
        aov=ratio_money(totals.revenue, totals.of(COMPLETED, ORDERS)),
        units=totals.of(COMPLETED, UNITS),
        top_products=[product_out(row) for row in ranking],
        trend=_trend(rows, trend_start, end),
    )


def bucket_start(day: date, granularity: Granularity) -> date:
    """The first day of the bucket holding ``day`` (weeks start on Monday, ISO 8601)."""
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def next_bucket(start: date, granularity: Granularity) -> date:
    if granularity == "day":
        return start + timedelta(days=1)
    if granularity == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def _revenue_point(period: date, tally: Tally, granularity: Granularity) -> RevenuePoint:
    completed = tally.of(COMPLETED, ORDERS)
    return RevenuePoint(
        period=period,
        revenue=from_minor(tally.revenue),
        refunds=from_minor(tally.of(REFUNDED, AMOUNT)),
        orders=completed,
        transactions=tally.transactions,
        units=tally.of(COMPLETED, UNITS),
        aov=ratio_money(tally.revenue, completed),
        customers=tally.of(COMPLETED, CUSTOMERS) if granularity == "day" else None,
    )


async def revenue(
    session: AsyncSession,
    scope: ReadScope,
    window: TimeWindow,
    granularity: Granularity,
    limit: int | None,
) -> RevenueOut:
    """Revenue per day, week or month; every bucket of the window, empty ones as zeros.

    Edge buckets count only the window's days. Distinct customers are not additive across
    days, so only daily buckets carry them.
    """
    start, end = _days(window)
    rows = await sales.daily_status_rows(session, scope.tenant_id, start, end)
    buckets: dict[date, Tally] = defaultdict(Tally)
    for row in rows:
        buckets[bucket_start(row.day, granularity)].add(row)
    periods = []
    period = bucket_start(start, granularity)
    while period < end:
        periods.append(period)
        period = next_bucket(period, granularity)
    if limit is not None:
        periods = periods[-limit:]
    points = [_revenue_point(p, buckets.get(p, EMPTY), granularity) for p in periods]
    return RevenueOut(
        window=window.out(),
        data_as_of=scope.data_as_of,
        currency=scope.currency,
        granularity=granularity,
        total_revenue=from_minor(sum(b.revenue for b in buckets.values())),
        data=points,
    )

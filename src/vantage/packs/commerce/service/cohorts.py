"""Monthly cohorts: customers grouped by the month of their first purchase, and how many of
them purchase again k months later (retention(k) = active in month k / cohort size)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.windows import TimeWindow
from vantage.packs.commerce.repository import cohorts as cohort_reads
from vantage.packs.commerce.schemas import CohortRow, CohortsOut
from vantage.packs.commerce.service.analytics import ReadScope

RATE_PLACES = Decimal("0.0001")


def months_between(first: date, later: date) -> int:
    return (later.year - first.year) * 12 + later.month - first.month


def rate(part: int, whole: int) -> Decimal:
    """``part / whole`` rounded half-even to four places (0 when ``whole`` is 0)."""
    if whole == 0:
        return Decimal("0.0000")
    return (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)


async def cohorts(session: AsyncSession, scope: ReadScope, window: TimeWindow) -> CohortsOut:
    """Cohorts whose first month starts in the window; activity counted up to its end."""
    first_month = window.start.date().replace(day=1)
    end = window.end.date()
    last_month = date.fromordinal(end.toordinal() - 1).replace(day=1)
    cells = await cohort_reads.cohort_cells(session, scope.tenant_id, first_month, end)
    active: dict[date, dict[int, int]] = defaultdict(dict)
    for cell in cells:
        active[cell.cohort_month][months_between(cell.cohort_month, cell.month)] = cell.customers
    rows = []
    for cohort_month in sorted(active):
        if cohort_month < window.start.date():
            continue  # the window starts inside this month: the cohort is not whole
        size = active[cohort_month].get(0, 0)
        span = months_between(cohort_month, last_month) + 1
        counts = [active[cohort_month].get(k, 0) for k in range(span)]
        rows.append(
            CohortRow(
                cohort=cohort_month,
                customers=size,
                active=counts,
                retention=[rate(count, size) for count in counts],
            )
        )
    return CohortsOut(
        window=window.out(), data_as_of=scope.data_as_of, currency=scope.currency, data=rows
    )

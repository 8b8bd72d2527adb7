"""RFM: recency, frequency and monetary scores (1-5 by rank) and the named segments.

Population: customers whose latest purchase falls in the window. Recency is the latest
purchase (later = better), frequency the number of purchases, monetary the lifetime value.
Segments follow the common recency x frequency grid.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.windows import TimeWindow
from vantage.packs.commerce.domain.money import from_minor
from vantage.packs.commerce.repository import customers as customer_reads
from vantage.packs.commerce.schemas import RfmOut, RfmSegment
from vantage.packs.commerce.service.analytics import ReadScope
from vantage.packs.commerce.service.cohorts import rate

SEGMENTS = (
    "champions",
    "loyal",
    "potential_loyalists",
    "new_customers",
    "promising",
    "need_attention",
    "about_to_sleep",
    "cant_lose_them",
    "at_risk",
    "hibernating",
)


def segment_of(recency: int, frequency: int) -> str:
    """The segment of a (recency, frequency) score pair; every one of the 25 pairs has one."""
    if recency <= 2:
        if frequency <= 2:
            return "hibernating"
        return "cant_lose_them" if frequency == 5 else "at_risk"
    if recency == 3:
        if frequency <= 2:
            return "about_to_sleep"
        return "need_attention" if frequency == 3 else "loyal"
    if frequency == 1:
        return "new_customers" if recency == 5 else "promising"
    if frequency <= 3:
        return "potential_loyalists"
    return "champions" if recency == 5 else "loyal"


async def rfm(session: AsyncSession, scope: ReadScope, window: TimeWindow) -> RfmOut:
    """Customers, revenue and share per segment, and the repeat-purchase rate."""
    rows = await customer_reads.rfm_score_counts(session, scope.tenant_id, window.start, window.end)
    customers: dict[str, int] = defaultdict(int)
    revenue: dict[str, int] = defaultdict(int)
    repeaters = 0
    for row in rows:
        segment = segment_of(row.recency, row.frequency)
        customers[segment] += row.customers
        revenue[segment] += row.revenue_minor
        repeaters += row.repeaters
    total = sum(customers.values())
    return RfmOut(
        window=window.out(),
        data_as_of=scope.data_as_of,
        currency=scope.currency,
        customers=total,
        repeat_purchase_rate=rate(repeaters, total) if total else None,
        segments=[
            RfmSegment(
                segment=name,
                customers=customers[name],
                revenue=from_minor(revenue[name]),
                share=rate(customers[name], total) if total else Decimal("0.0000"),
            )
            for name in SEGMENTS
        ],
    )

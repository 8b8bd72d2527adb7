"""Active customers per cohort and month (``commerce_cohort_cells``)."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.commerce.models import CohortCell


class CohortCellRow(NamedTuple):
    """Customers of the cohort of ``cohort_month`` who purchased in ``month``."""

    cohort_month: date
    month: date
    customers: int


async def cohort_cells(
    session: AsyncSession, tenant_id: int, first_month: date, end: date
) -> list[CohortCellRow]:
    """The cells of cohorts in [first_month, end), months before ``end``."""
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
    return [CohortCellRow(*row) for row in await session.execute(query)]

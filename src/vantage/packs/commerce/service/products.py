"""Products ranked by revenue or units, all time or in a window, with offset pages."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.pagination import PageParams, PaginationMeta
from vantage.core.sorting import SortKey
from vantage.core.windows import TimeWindow
from vantage.packs.commerce.repository import products as product_reads
from vantage.packs.commerce.schemas import ProductPage
from vantage.packs.commerce.service.analytics import ReadScope, product_out

SORTABLE = ("revenue", "units")


async def list_products(
    session: AsyncSession,
    scope: ReadScope,
    *,
    sort: SortKey,
    page: PageParams,
    window: TimeWindow | None,
) -> ProductPage:
    """Products with sales in the window (all time without one), best first by default."""
    days = (window.start.date(), window.end.date()) if window else None
    rows = await product_reads.product_ranking(
        session,
        scope.tenant_id,
        days,
        sort=sort.field,
        descending=sort.descending,
        limit=page.limit,
        offset=page.offset,
    )
    total: int | None
    if rows:
        total = rows[0].total
    elif window is None:
        total = await product_reads.count_products_with_sales(session, scope.tenant_id)
    else:
        total = 0 if page.offset == 0 else None
    return ProductPage(
        data=[product_out(row) for row in rows],
        pagination=PaginationMeta(limit=page.limit, offset=page.offset, total=total),
        window=window.out() if window else None,
        data_as_of=scope.data_as_of,
        currency=scope.currency,
    )

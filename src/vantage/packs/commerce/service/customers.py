"""Customers: lifetime value, purchases, first/last purchase; keyset pages; one customer."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.errors import NotFound
from vantage.core.pagination import CursorCodec, PageParams, PaginationMeta
from vantage.core.sorting import SortKey
from vantage.core.windows import TimeWindow
from vantage.packs.commerce.domain.money import from_minor, ratio_money
from vantage.packs.commerce.ingest.batch import OrderStatus
from vantage.packs.commerce.repository import customers as customer_reads
from vantage.packs.commerce.repository.customers import CustomerDetailRow, CustomerRow
from vantage.packs.commerce.schemas import (
    CustomerDetail,
    CustomerOut,
    CustomerPage,
    MonthActivity,
    OrderSummary,
    StatusCounts,
)
from vantage.packs.commerce.service.analytics import ReadScope

SORTABLE = ("ltv", "orders", "last_order")
RECENT_ORDERS = 10
RECENT_MONTHS = 24


def _customer_out(row: CustomerRow | CustomerDetailRow) -> CustomerOut:
    orders = row.orders or 0
    ltv = row.ltv_minor or 0
    return CustomerOut(
        id=row.external_id,
        name=row.name,
        country=row.country,
        ltv=from_minor(ltv),
        orders=orders,
        aov=ratio_money(ltv, orders),
        first_order_at=row.first_order_at,
        last_order_at=row.last_order_at,
    )


def _cursor_scope(key: SortKey, window: TimeWindow | None) -> str:
    active = window.span if window else "all"
    return f"commerce.customers:{key}:{active}"


async def list_customers(
    session: AsyncSession,
    scope: ReadScope,
    *,
    sort: SortKey,
    page: PageParams,
    cursors: CursorCodec,
    window: TimeWindow | None,
) -> CustomerPage:
    """Customers with purchases, by ``sort`` then id; the cursor is the last row's key."""
    cursor_scope = _cursor_scope(sort, window)
    after = None
    if page.cursor:
        value, customer_id = cursors.decode(cursor_scope, page.cursor)
        after = (value, int(customer_id))
    rows = await customer_reads.customer_page(
        session,
        scope.tenant_id,
        sort=sort.field,
        descending=sort.descending,
        after=after,
        limit=page.limit + 1,
        offset=page.offset,
        active=(window.start, window.end) if window else None,
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    next_cursor = None
    if more:
        last = rows[-1]
        value = {"ltv": last.ltv_minor, "orders": last.orders, "last_order": last.last_order_at}
        next_cursor = cursors.encode(cursor_scope, [value[sort.field], last.customer_id])
    return CustomerPage(
        data=[_customer_out(row) for row in rows],
        pagination=PaginationMeta(
            limit=page.limit,
            offset=None if page.cursor else page.offset,
            total=None,
            next_cursor=next_cursor,
        ),
        window=window.out() if window else None,
        data_as_of=scope.data_as_of,
        currency=scope.currency,
    )


async def customer_detail(
    session: AsyncSession, scope: ReadScope, external_id: str
) -> CustomerDetail:
    """One customer of the caller's tenant; another tenant's customer is simply not found."""
    row = await customer_reads.customer_by_external_id(session, scope.tenant_id, external_id)
    if row is None:
        raise NotFound(f"customer {external_id!r} does not exist")
    summary = _customer_out(row)
    counts, refunds = StatusCounts(), 0
    for total in await customer_reads.customer_status_totals(session, scope.tenant_id, row.id):
        setattr(counts, total.status, total.orders)
        if total.status == OrderStatus.REFUNDED.value:
            refunds = total.amount_minor
    months = await customer_reads.customer_months(session, scope.tenant_id, row.id, RECENT_MONTHS)
    recent = await customer_reads.customer_recent_orders(
        session, scope.tenant_id, row.id, RECENT_ORDERS
    )
    return CustomerDetail(
        **summary.model_dump(),
        orders_by_status=counts,
        refunds=from_minor(refunds),
        months=[
            MonthActivity(month=m.month, orders=m.orders, revenue=from_minor(m.amount_minor))
            for m in months
        ],
        recent_orders=[
            OrderSummary(
                id=o.source_id,
                placed_at=o.placed_at,
                status=OrderStatus(o.status),
                amount=from_minor(o.amount_minor),
                units=o.units,
                lines=o.line_count,
            )
            for o in recent
        ],
        data_as_of=scope.data_as_of,
        currency=scope.currency,
    )

"""Routes of the commerce pack: thin wrappers around the services."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.db import ReadSession
from vantage.core.errors import ValidationFailed
from vantage.core.pagination import Cursors, Pagination
from vantage.core.ratelimit import rate_limit
from vantage.core.sorting import SortKey, sort_param
from vantage.core.windows import MAX_DAYS, TimeWindow
from vantage.packs.commerce.http import (
    READ_RATE_LIMIT_GROUP,
    Runtime,
    begin_read,
    cached_json,
    day_window,
    month_window,
    optional_day_window,
)
from vantage.packs.commerce.ingest_endpoint import router as ingest_router
from vantage.packs.commerce.schemas import (
    CohortsOut,
    CustomerDetail,
    CustomerPage,
    DashboardOut,
    ProductPage,
    RevenueOut,
    RfmOut,
)
from vantage.packs.commerce.service import analytics, cohorts, customers, products, rfm

router = APIRouter(prefix="/api/v1/commerce", tags=["commerce"])
router.include_router(ingest_router, dependencies=[Depends(rate_limit("commerce-ingest"))])
reads = APIRouter(dependencies=[Depends(rate_limit(READ_RATE_LIMIT_GROUP))])


def _single_key(keys: list[SortKey]) -> SortKey:
    if len(keys) != 1:
        raise ValidationFailed.field(("query", "sort"), "sort by exactly one field")
    return keys[0]


@reads.get("/dashboard", response_model=DashboardOut, summary="Totals, status mix, top products")
async def dashboard(
    request: Request,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: Runtime,
    window: Annotated[TimeWindow, day_window(lambda s: s.dashboard_days)],
) -> Response:
    context = await begin_read(request, session, runtime, principal.tenant_id, window)
    settings = runtime.settings
    return await cached_json(
        request,
        context,
        lambda: analytics.dashboard(
            session,
            context.scope,
            window,
            top=settings.dashboard_top_products,
            trend_days=settings.trend_days,
        ),
    )


@reads.get("/revenue", response_model=RevenueOut, summary="Revenue per day, week or month")
async def revenue(
    request: Request,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: Runtime,
    window: Annotated[TimeWindow, day_window(lambda s: s.revenue_days)],
    granularity: Literal["day", "week", "month"] = "day",
    limit: Annotated[
        int | None, Query(ge=1, le=MAX_DAYS, description="Only the latest N buckets")
    ] = None,
) -> Response:
    context = await begin_read(request, session, runtime, principal.tenant_id, window)
    return await cached_json(
        request,
        context,
        lambda: analytics.revenue(session, context.scope, window, granularity, limit),
    )


@reads.get("/customers", response_model=CustomerPage, summary="Customers by value, keyset pages")
async def list_customers(
    request: Request,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: Runtime,
    page: Pagination,
    cursors: Cursors,
    sort: Annotated[list[SortKey], sort_param(customers.SORTABLE, default="-ltv")],
    window: Annotated[TimeWindow | None, optional_day_window()],
) -> Response:
    key = _single_key(sort)
    context = await begin_read(request, session, runtime, principal.tenant_id, window)
    return await cached_json(
        request,
        context,
        lambda: customers.list_customers(
            session, context.scope, sort=key, page=page, cursors=cursors, window=window
        ),
    )


@reads.get("/customers/{customer_id}", response_model=CustomerDetail, summary="One customer")
async def customer_detail(
    request: Request,
    customer_id: Annotated[str, Path(min_length=1, max_length=128)],
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: Runtime,
) -> Response:
    context = await begin_read(request, session, runtime, principal.tenant_id, None)
    return await cached_json(
        request, context, lambda: customers.customer_detail(session, context.scope, customer_id)
    )


@reads.get("/products", response_model=ProductPage, summary="Products by revenue or units")
async def list_products(
    request: Request,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: Runtime,
    page: Pagination,
    sort: Annotated[list[SortKey], sort_param(products.SORTABLE, default="-revenue")],
    window: Annotated[TimeWindow | None, optional_day_window()],
) -> Response:
    key = _single_key(sort)
    if page.cursor is not None:
        raise ValidationFailed.field(("query", "cursor"), "products are paged with offset")
    context = await begin_read(request, session, runtime, principal.tenant_id, window)
    return await cached_json(
        request,
        context,
        lambda: products.list_products(session, context.scope, sort=key, page=page, window=window),
    )


@reads.get("/cohorts", response_model=CohortsOut, summary="Monthly retention matrix")
async def cohort_matrix(
    request: Request,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: Runtime,
    window: Annotated[TimeWindow, month_window()],
) -> Response:
    context = await begin_read(request, session, runtime, principal.tenant_id, window)
    return await cached_json(
        request, context, lambda: cohorts.cohorts(session, context.scope, window)
    )


@reads.get("/rfm", response_model=RfmOut, summary="RFM segments with counts and revenue")
async def rfm_segments(
    request: Request,
    session: ReadSession,
    principal: ReadPrincipal,
    runtime: Runtime,
    window: Annotated[TimeWindow, day_window(lambda s: s.rfm_days)],
) -> Response:
    context = await begin_read(request, session, runtime, principal.tenant_id, window)
    return await cached_json(request, context, lambda: rfm.rfm(session, context.scope, window))


router.include_router(reads)

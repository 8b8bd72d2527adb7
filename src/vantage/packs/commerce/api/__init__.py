"""Routes of the commerce pack under ``/api/v1/commerce``: one module per resource."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from vantage.core.ratelimit import rate_limit
from vantage.packs.commerce.api import (
    cohorts,
    customers,
    dashboard,
    imports,
    orders,
    products,
    revenue,
    rfm,
)
from vantage.packs.commerce.api.rate_limits import INGEST_RATE_LIMIT_GROUP, READ_RATE_LIMIT_GROUP

router = APIRouter(prefix="/api/v1/commerce", tags=["commerce"])
for _ingest in (orders, imports):
    router.include_router(
        _ingest.router, dependencies=[Depends(rate_limit(INGEST_RATE_LIMIT_GROUP))]
    )
for _reads in (dashboard, revenue, customers, products, cohorts, rfm):
    router.include_router(_reads.router, dependencies=[Depends(rate_limit(READ_RATE_LIMIT_GROUP))])

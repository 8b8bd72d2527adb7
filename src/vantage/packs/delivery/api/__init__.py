"""The delivery pack's routes, combined into ``router`` (each group under its rate limit)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from vantage.core.ratelimit import rate_limit
from vantage.packs.delivery.api import analytics, dora, ingest, portfolio, sources, webhooks
from vantage.packs.delivery.api.reads import READ_RATE_LIMIT_GROUP

router = APIRouter()
router.include_router(
    webhooks.router, dependencies=[Depends(rate_limit(webhooks.RATE_LIMIT_GROUP))]
)
router.include_router(ingest.router, dependencies=[Depends(rate_limit("delivery.ingest"))])
for read_routes in (dora.router, analytics.router, portfolio.router):
    router.include_router(read_routes, dependencies=[Depends(rate_limit(READ_RATE_LIMIT_GROUP))])
router.include_router(sources.router, dependencies=[Depends(rate_limit("delivery.admin"))])

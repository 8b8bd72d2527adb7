"""The trading routes, under ``/api/v1/trading``: reads in ``trading.read``, ingest in
``trading.ingest`` (rate-limit groups)."""

from fastapi import APIRouter, Depends

from vantage.core.ratelimit import rate_limit
from vantage.packs.trading.api import events, metrics, symbols, system, trades
from vantage.packs.trading.api.metrics import PREFIX, READ_RATE_LIMIT_GROUP

INGEST_RATE_LIMIT_GROUP = "trading.ingest"

read_router = APIRouter(
    prefix=PREFIX, tags=["trading"], dependencies=[Depends(rate_limit(READ_RATE_LIMIT_GROUP))]
)
for module in (metrics, trades, system):
    read_router.include_router(module.router)

ingest_router = APIRouter(
    prefix=PREFIX, tags=["trading"], dependencies=[Depends(rate_limit(INGEST_RATE_LIMIT_GROUP))]
)
ingest_router.include_router(events.router)
ingest_router.include_router(symbols.write_router)
read_router.include_router(symbols.read_router)

router = APIRouter()
router.include_router(read_router)
router.include_router(ingest_router)

"""The aidev routers, combined: ``/api/v1/aidev/...`` and the OTLP receiver ``/v1/traces``."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from vantage.core.ratelimit import rate_limit
from vantage.packs.aidev.api import aliases, metrics, otlp, sessions, traces

READ_GROUP = "aidev.read"
INGEST_GROUP = "aidev.ingest"


def build_router() -> APIRouter:
    """Every route of the pack, each in its rate-limit group."""
    router = APIRouter()
    ingest = [Depends(rate_limit(INGEST_GROUP))]
    reads = [Depends(rate_limit(READ_GROUP))]
    router.include_router(
        traces.router, prefix="/api/v1/aidev", tags=["aidev"], dependencies=ingest
    )
    router.include_router(otlp.router, tags=["aidev"], dependencies=ingest)
    for module in (sessions, metrics, aliases):
        router.include_router(
            module.router, prefix="/api/v1/aidev", tags=["aidev"], dependencies=reads
        )
    return router

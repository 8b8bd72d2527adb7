"""What the commerce pack keeps for the life of the app, the lifespan that builds it, and the
dependency that hands it to request handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends
from starlette.requests import HTTPConnection

from vantage.core.context import core_of
from vantage.core.idempotency import IdempotencyStore
from vantage.core.packs import PackContext
from vantage.packs.commerce.service.ingest import PACK_NAME
from vantage.packs.commerce.service.live import live_dashboard
from vantage.packs.commerce.service.publisher import DashboardPublisher
from vantage.packs.commerce.service.read_scope import TenantCurrencies
from vantage.packs.commerce.settings import CommerceSettings

ORDERS_PATH = "/api/v1/commerce/orders"
IMPORTS_PATH = "/api/v1/commerce/imports"


@dataclass
class CommerceRuntime:
    """The pack's settings, idempotency store, dashboard publisher and tenants' currencies."""

    settings: CommerceSettings
    idempotency: IdempotencyStore
    publisher: DashboardPublisher
    currencies: TenantCurrencies


@asynccontextmanager
async def lifespan(context: PackContext) -> AsyncIterator[None]:
    """Settings, the idempotency store and the dashboard publisher, for the app's lifetime."""
    settings = CommerceSettings()
    core = context.core
    database = core.database

    async def compute(tenant_id: int) -> dict[str, Any]:
        async with database.reader() as session:
            return await live_dashboard(session, tenant_id, settings)

    if ORDERS_PATH not in core.settings.max_body_bytes_by_path:
        # A full batch is several megabytes; an explicit VANTAGE_MAX_BODY_BYTES_BY_PATH wins.
        core.body_limits.set_prefix(ORDERS_PATH, settings.max_batch_bytes)
    if IMPORTS_PATH not in core.settings.max_body_bytes_by_path:
        core.body_limits.set_prefix(IMPORTS_PATH, settings.max_import_bytes)
    publisher = DashboardPublisher(
        compute, lambda: core.hub.publish, settings.publish_interval_seconds
    )
    core.runtimes.set(
        PACK_NAME,
        CommerceRuntime(
            settings=settings,
            idempotency=IdempotencyStore(
                database,
                ttl=timedelta(hours=settings.idempotency_ttl_hours),
                lock=timedelta(seconds=settings.idempotency_lock_seconds),
            ),
            publisher=publisher,
            currencies=TenantCurrencies(settings.default_currency),
        ),
    )
    try:
        yield
    finally:
        core.runtimes.remove(PACK_NAME)
        await publisher.close()


# ``async`` without awaiting: FastAPI would run a plain function in a worker thread.
async def _runtime_of(connection: HTTPConnection) -> CommerceRuntime:
    return core_of(connection).runtimes.get(PACK_NAME, CommerceRuntime)


CommerceRuntimeDep = Annotated[CommerceRuntime, Depends(_runtime_of)]

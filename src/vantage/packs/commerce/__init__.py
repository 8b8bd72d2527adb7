"""Commerce: sales analytics (dashboard, revenue, customers, products, cohorts, RFM)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from vantage.core.idempotency import IdempotencyStore
from vantage.core.packs import Pack, PackContext, WebPage
from vantage.core.realtime import ChannelSpec
from vantage.packs.commerce.cli import cli, importers
from vantage.packs.commerce.demo import load_demo
from vantage.packs.commerce.endpoints import router
from vantage.packs.commerce.http import CommerceRuntime
from vantage.packs.commerce.realtime import CHANNEL, DashboardPublisher, Publish
from vantage.packs.commerce.service.live import live_dashboard
from vantage.packs.commerce.settings import CommerceSettings

ORDERS_PATH = "/api/v1/commerce/orders"


@asynccontextmanager
async def lifespan(context: PackContext) -> AsyncIterator[None]:
    """Settings, the idempotency store and the dashboard publisher, for the app's lifetime."""
    settings = CommerceSettings()
    database, state = context.database, context.app.state

    async def compute(tenant_id: int) -> dict[str, Any]:
        async with database.reader() as session:
            return await live_dashboard(session, tenant_id, settings)

    def publisher_of() -> Publish | None:
        hub = getattr(state, "hub", None)
        return None if hub is None else hub.publish

    if ORDERS_PATH not in context.settings.max_body_bytes_by_path:
        # A full batch is several megabytes; an explicit VANTAGE_MAX_BODY_BYTES_BY_PATH wins.
        state.body_limits.set_prefix(ORDERS_PATH, settings.max_batch_bytes)
    publisher = DashboardPublisher(compute, publisher_of, settings.publish_interval_seconds)
    state.commerce = CommerceRuntime(
        settings=settings,
        idempotency=IdempotencyStore(
            database,
            ttl=timedelta(hours=settings.idempotency_ttl_hours),
            lock=timedelta(seconds=settings.idempotency_lock_seconds),
        ),
        publisher=publisher,
    )
    try:
        yield
    finally:
        await publisher.close()


PACK = Pack(
    name="commerce",
    title="Commerce",
    version="1.0.0",
    description="Sales analytics over orders: revenue, customers, products, cohorts and RFM",
    router=router,
    models=("vantage.packs.commerce.models",),
    lifespan=lifespan,
    demo=load_demo,
    cli=cli,
    importers=importers,
    settings=CommerceSettings,
    web=WebPage.beside(__file__, "Commerce"),
    channels=(
        # Cache mode: a new subscriber gets the latest dashboard at once.
        ChannelSpec(
            CHANNEL,
            cache=True,
            history_size=100,
            description="The default dashboard, after each ingest commit (at most 1/s)",
        ),
    ),
)

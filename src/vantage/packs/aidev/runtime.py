"""What the aidev pack keeps for the life of the app, the lifespan that builds it, and the
dependency alias handlers read it through."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends
from starlette.requests import HTTPConnection

from vantage.core.context import core_of
from vantage.core.idempotency import IdempotencyStore
from vantage.core.packs import PackContext
from vantage.core.windows import resolve_window
from vantage.packs.aidev.service.batches import TraceIngestor
from vantage.packs.aidev.service.live import LiveFeeds
from vantage.packs.aidev.service.metrics import metrics
from vantage.packs.aidev.service.pricing import load_price_table
from vantage.packs.aidev.settings import AidevSettings
from vantage.packs.delivery.service.activity import PACK_NAME as DELIVERY_PACK

PACK_NAME = "aidev"
TRACES_PATH = "/api/v1/aidev/traces"
OTLP_PATH = "/v1/traces"
LIVE_METRICS_DAYS = 7


@dataclass
class AidevRuntime:
    """Settings, the ingestor (pricing, sessions gap, live feeds) and the idempotency store."""

    settings: AidevSettings
    ingestor: TraceIngestor
    idempotency: IdempotencyStore
    feeds: LiveFeeds
    # Whether the delivery pack runs (it is optional): its KPIs and session links need it.
    delivery_running: Callable[[], bool]


def settings_of(context: PackContext) -> AidevSettings:
    """Settings given to the app before start (tests, embedding), else read from the env."""
    preset = getattr(context.app.state, "aidev_settings", None)
    return preset if isinstance(preset, AidevSettings) else AidevSettings()


@asynccontextmanager
async def aidev_lifespan(context: PackContext) -> AsyncIterator[None]:
    """Build the runtime, publish it for the handlers, and stop its feeds on the way out."""
    core = context.core
    settings = settings_of(context)
    database = core.database

    def delivery_running() -> bool:
        # Asked on each read: packs start in name order, so delivery starts after aidev.
        return core.runtimes.find(DELIVERY_PACK, object) is not None

    async def live_metrics(tenant_id: int) -> dict[str, Any]:
        window = resolve_window(None, None, LIVE_METRICS_DAYS, default_days=LIVE_METRICS_DAYS)
        async with database.reader() as session:
            figures = await metrics(session, tenant_id, window, settings, delivery_running())
        return figures.model_dump(mode="json")

    for path in (TRACES_PATH, OTLP_PATH):
        if path not in context.settings.max_body_bytes_by_path:
            core.body_limits.set_prefix(path, settings.max_batch_bytes)
    feeds = LiveFeeds(core.hub, live_metrics, settings.publish_interval_seconds)
    runtime = AidevRuntime(
        settings=settings,
        ingestor=TraceIngestor(
            database=database,
            pricing=load_price_table(settings.pricing_file),
            session_gap=timedelta(minutes=settings.session_gap_minutes),
            feeds=feeds,
        ),
        idempotency=IdempotencyStore(
            database,
            ttl=timedelta(hours=settings.idempotency_ttl_hours),
            lock=timedelta(seconds=settings.idempotency_lock_seconds),
        ),
        feeds=feeds,
        delivery_running=delivery_running,
    )
    core.runtimes.set(PACK_NAME, runtime)
    try:
        yield
    finally:
        core.runtimes.remove(PACK_NAME)
        await feeds.close()


# ``async`` without awaiting: FastAPI would run a plain function in a worker thread.
async def _runtime(connection: HTTPConnection) -> AidevRuntime:
    return core_of(connection).runtimes.get(PACK_NAME, AidevRuntime)


AidevRuntimeDep = Annotated[AidevRuntime, Depends(_runtime)]

"""Trading pack: live trading observability (market, strategy, execution, system)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from vantage.core.auth.principal import Scope
from vantage.core.jobs.context import JobContext
from vantage.core.jobs.kinds import Schedule
from vantage.core.packs import Pack, PackContext
from vantage.core.realtime import ChannelSpec
from vantage.packs.trading.channels import (
    ALERTS_CHANNEL,
    EVENTS_CHANNEL,
    METRICS_CHANNEL,
    TRADES_CHANNEL,
)
from vantage.packs.trading.settings import TradingSettings

PACK_NAME = "trading"
RETENTION_JOB = "trading.retention"
RETENTION_SCHEDULE = "*/10 * * * *"
EVENTS_PATH = "/api/v1/trading/events"

CHANNELS = (
    ChannelSpec(
        METRICS_CHANNEL,
        cache=True,
        history_size=100,
        history_ttl_seconds=60,
        description="Snapshot of every collector, 10 times a second (cache mode)",
    ),
    ChannelSpec(
        TRADES_CHANNEL,
        history_size=1000,
        history_ttl_seconds=300,
        description='Fills as they are stored: {"trades": [...]} per committed batch',
    ),
    ChannelSpec(
        ALERTS_CHANNEL,
        history_size=1000,
        history_ttl_seconds=3600,
        description='{"action": "raised" | "acknowledged" | "resolved", "alert": {...}}',
    ),
    ChannelSpec(
        EVENTS_CHANNEL,
        subscribe_scope=Scope.INGEST,
        publish_scope=Scope.INGEST,
        history_size=1,
        history_ttl_seconds=60,
        description="Publish event batches here (the body of POST /api/v1/trading/events)",
    ),
)


def create_pack(settings: TradingSettings | None = None) -> Pack:
    """The trading pack; ``settings`` replaces the environment's (tests, embedding)."""
    from vantage.packs.trading.cli import cli
    from vantage.packs.trading.demo import load_demo
    from vantage.packs.trading.endpoints import current_metrics_hot_read, router
    from vantage.packs.trading.maintenance import retention_job
    from vantage.packs.trading.runtime import runtime_for_app

    def current_settings() -> TradingSettings:
        return settings if settings is not None else TradingSettings()

    @asynccontextmanager
    async def lifespan(context: PackContext) -> AsyncIterator[None]:
        settings = current_settings()
        runtime = runtime_for_app(context, settings)
        context.app.state.trading = runtime
        if EVENTS_PATH not in context.settings.max_body_bytes_by_path:
            # A full batch is megabytes; an explicit VANTAGE_MAX_BODY_BYTES_BY_PATH wins.
            context.app.state.body_limits.set_prefix(EVENTS_PATH, settings.max_batch_bytes)
        hub = getattr(context.app.state, "hub", None)
        if hub is not None:
            hub.handle_publishes(EVENTS_CHANNEL, runtime.handle_published_events)
        early_answers = getattr(context.app.state, "early_answers", None)
        if early_answers is not None:
            early_answers.register(current_metrics_hot_read(runtime))
        async with runtime.running():
            yield

    async def retention(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        counts = await retention_job(ctx.database, current_settings())
        return dict(counts)

    return Pack(
        name=PACK_NAME,
        title="Trading",
        version="1.0.0",
        description="Live trading observability: market, strategy, execution and system metrics",
        router=router,
        models=["vantage.packs.trading.models"],
        lifespan=lifespan,
        demo=load_demo,
        cli=cli,
        settings=TradingSettings,
        channels=CHANNELS,
        jobs={RETENTION_JOB: retention},
        schedules=[Schedule(RETENTION_SCHEDULE, RETENTION_JOB)],
    )


PACK = create_pack()

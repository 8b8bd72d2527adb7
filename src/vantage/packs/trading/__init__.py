"""Trading pack: live trading observability (market, strategy, execution, system)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from vantage.core.jobs.context import JobContext
from vantage.core.jobs.kinds import Schedule
from vantage.core.packs import Pack, PackContext
from vantage.packs.trading.settings import TradingSettings

PACK_NAME = "trading"
RETENTION_JOB = "trading.retention"
RETENTION_SCHEDULE = "*/10 * * * *"


def create_pack(settings: TradingSettings | None = None) -> Pack:
    """The trading pack; ``settings`` replaces the environment's (tests, embedding)."""
    from vantage.packs.trading.cli import cli
    from vantage.packs.trading.demo import load_demo
    from vantage.packs.trading.endpoints import router
    from vantage.packs.trading.maintenance import retention_job
    from vantage.packs.trading.runtime import runtime_for_app

    def current_settings() -> TradingSettings:
        return settings if settings is not None else TradingSettings()

    @asynccontextmanager
    async def lifespan(context: PackContext) -> AsyncIterator[None]:
        runtime = runtime_for_app(context, current_settings())
        context.app.state.trading = runtime
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
        jobs={RETENTION_JOB: retention},
        schedules=[Schedule(RETENTION_SCHEDULE, RETENTION_JOB)],
    )


PACK = create_pack()

"""The trading ``Pack``: its routes, tables, lifespan, demo, CLI, settings, channels and jobs."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from vantage.core.jobs.context import JobContext
from vantage.core.jobs.kinds import Schedule
from vantage.core.packs import Pack, WebPage
from vantage.packs.trading import TITLE
from vantage.packs.trading.api import router
from vantage.packs.trading.channels import CHANNELS
from vantage.packs.trading.cli import cli
from vantage.packs.trading.compat import COMPAT
from vantage.packs.trading.demo import load_demo
from vantage.packs.trading.jobs.retention import retention_job
from vantage.packs.trading.runtime import PACK_NAME, trading_lifespan
from vantage.packs.trading.settings import TradingSettings

MODELS_MODULE = "vantage.packs.trading.models"
RETENTION_JOB = "trading.retention"
RETENTION_SCHEDULE = "*/10 * * * *"


def create_pack(settings: TradingSettings | None = None) -> Pack:
    """The trading pack; ``settings`` replaces the environment's (tests, embedding)."""

    def current_settings() -> TradingSettings:
        return settings if settings is not None else TradingSettings()

    async def retention(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        counts = await retention_job(ctx.database, current_settings())
        return dict(counts)

    return Pack(
        name=PACK_NAME,
        title=TITLE,
        version="1.0.0",
        description="Live trading observability: market, strategy, execution and system metrics",
        router=router,
        models=[MODELS_MODULE],
        lifespan=trading_lifespan(current_settings),
        demo=load_demo,
        cli=cli,
        settings=TradingSettings,
        channels=CHANNELS,
        web=WebPage.beside(__file__, "Trading"),
        jobs={RETENTION_JOB: retention},
        schedules=[Schedule(RETENTION_SCHEDULE, RETENTION_JOB)],
        compat=COMPAT,
    )


@lru_cache(maxsize=1)
def build_pack() -> Pack:
    """The pack with settings from the environment (built once, for the entry point)."""
    return create_pack()

"""The delivery pack's ``Pack``: routers, tables, lifespan, jobs, channels, CLI and settings."""

from __future__ import annotations

from functools import lru_cache

from vantage.core.packs import Pack, WebPage
from vantage.packs.delivery import TITLE
from vantage.packs.delivery.api import router
from vantage.packs.delivery.channels import CHANNELS
from vantage.packs.delivery.cli import cli
from vantage.packs.delivery.compat import COMPAT
from vantage.packs.delivery.demo import load_demo
from vantage.packs.delivery.jobs import process_webhook_job, sync_source_job
from vantage.packs.delivery.runtime import PACK_NAME, delivery_lifespan
from vantage.packs.delivery.service.sources import SYNC_JOB
from vantage.packs.delivery.service.webhooks import PROCESS_JOB
from vantage.packs.delivery.settings import DeliverySettings

MODELS_MODULE = "vantage.packs.delivery.models"


def build_pack(settings: DeliverySettings | None = None) -> Pack:
    """The pack; ``settings`` replaces the environment's (tests, embedding)."""

    def settings_of() -> DeliverySettings:
        return settings if settings is not None else _environment_settings()

    return Pack(
        name=PACK_NAME,
        title=TITLE,
        version="1.0.0",
        description="Engineering delivery: GitHub and git ingest, DORA, pull request analytics",
        router=router,
        models=(MODELS_MODULE,),
        lifespan=delivery_lifespan(settings_of),
        demo=load_demo,
        cli=cli,
        settings=DeliverySettings,
        jobs={
            PROCESS_JOB: process_webhook_job(settings_of),
            SYNC_JOB: sync_source_job(settings_of),
        },
        channels=CHANNELS,
        web=WebPage.beside(__file__, "Delivery"),
        compat=COMPAT,
    )


@lru_cache(maxsize=1)
def default_pack() -> Pack:
    """The pack with the environment's settings (what the entry point names)."""
    return build_pack()


@lru_cache(maxsize=1)
def _environment_settings() -> DeliverySettings:
    return DeliverySettings()

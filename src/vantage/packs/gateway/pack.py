"""The gateway's ``Pack``: its routers, tables, lifespan, demo, CLI and settings."""

from __future__ import annotations

from functools import lru_cache, partial

from vantage.core.packs import Pack, WebPage
from vantage.packs.gateway import TITLE
from vantage.packs.gateway.api import router
from vantage.packs.gateway.channels import CHANNELS
from vantage.packs.gateway.cli import cli
from vantage.packs.gateway.compat import COMPAT
from vantage.packs.gateway.demo import load_demo
from vantage.packs.gateway.runtime import run_gateway
from vantage.packs.gateway.settings import PACK_NAME, GatewaySettings

MODELS_MODULE = "vantage.packs.gateway.models"


def create_pack(settings: GatewaySettings | None = None) -> Pack:
    """The gateway pack; ``settings`` replaces the environment's (tests, embedding)."""
    return Pack(
        name=PACK_NAME,
        title=TITLE,
        version="1.0.0",
        description="Chat gateway: specialists, providers, streaming, rate limits, usage, cost",
        router=router,
        models=(MODELS_MODULE,),
        lifespan=partial(run_gateway, settings=settings),
        demo=load_demo,
        cli=cli,
        settings=GatewaySettings,
        channels=CHANNELS,
        web=WebPage.beside(__file__, "LLM gateway"),
        compat=COMPAT,
    )


@lru_cache(maxsize=1)
def build_pack() -> Pack:
    """The pack with settings from the environment (built once, on first use)."""
    return create_pack()

"""The gateway's ``Pack``: its routers, tables, lifespan, demo, CLI and settings."""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter

from vantage.core.packs import Pack, WebPage
from vantage.packs.gateway.cli import cli
from vantage.packs.gateway.demo import load_demo
from vantage.packs.gateway.endpoints import catalog, chat, openai, usage
from vantage.packs.gateway.lifespan import gateway_lifespan
from vantage.packs.gateway.settings import GatewaySettings
from vantage.packs.gateway.usage.live import CHANNELS

MODELS_MODULE = "vantage.packs.gateway.models"


@lru_cache(maxsize=1)
def build_pack() -> Pack:
    """The pack (built once, on first use, so importing a submodule stays cheap)."""
    router = APIRouter()
    for module in (chat, openai, catalog, usage):
        router.include_router(module.router)
    return Pack(
        name="gateway",
        title="LLM gateway",
        version="1.0.0",
        description="Chat gateway: specialists, providers, streaming, rate limits, usage, cost",
        router=router,
        models=(MODELS_MODULE,),
        lifespan=gateway_lifespan,
        demo=load_demo,
        cli=cli,
        settings=GatewaySettings,
        channels=CHANNELS,
        web=WebPage.beside(__file__, "LLM gateway"),
    )

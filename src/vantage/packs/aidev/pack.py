"""The aidev ``Pack``: routers, tables, lifespan, demo, CLI, settings and channels."""

from __future__ import annotations

from functools import lru_cache

from vantage.core.packs import Pack, WebPage
from vantage.packs.aidev import TITLE
from vantage.packs.aidev.api import build_router
from vantage.packs.aidev.channels import CHANNELS
from vantage.packs.aidev.cli import cli, importers
from vantage.packs.aidev.compat import COMPAT
from vantage.packs.aidev.demo import load_demo
from vantage.packs.aidev.runtime import aidev_lifespan
from vantage.packs.aidev.settings import AidevSettings

MODELS_MODULE = "vantage.packs.aidev.models"


@lru_cache(maxsize=1)
def build_pack() -> Pack:
    """The pack (built once, on first use, so importing a submodule stays cheap)."""
    return Pack(
        name="aidev",
        title=TITLE,
        version="1.0.0",
        description="LLM traces of developers: sessions, KPIs, lagged correlations, anomalies",
        router=build_router(),
        models=(MODELS_MODULE,),
        lifespan=aidev_lifespan,
        demo=load_demo,
        cli=cli,
        importers=importers,
        settings=AidevSettings,
        channels=CHANNELS,
        web=WebPage.beside(__file__, "AI-assisted development"),
        compat=COMPAT,
    )

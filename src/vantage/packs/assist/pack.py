"""The assist pack's ``Pack``: routers, lifespan, CLI and settings."""

from __future__ import annotations

from functools import lru_cache

from vantage.core.packs import Pack, WebPage
from vantage.packs.assist import TITLE
from vantage.packs.assist.api import build_router
from vantage.packs.assist.cli import cli
from vantage.packs.assist.demo import load_demo
from vantage.packs.assist.runtime import PACK_NAME, lifespan_for
from vantage.packs.assist.settings import AssistSettings

MODELS_MODULE = "vantage.packs.assist.models"


def create_pack(settings: AssistSettings | None = None) -> Pack:
    """The pack; ``settings`` replaces the environment's (tests, embedding)."""
    return Pack(
        name=PACK_NAME,
        title=TITLE,
        version="1.0.0",
        description="Validation and safe execution of AI-written SQL",
        router=build_router(),
        models=(MODELS_MODULE,),
        lifespan=lifespan_for(settings),
        demo=load_demo,
        cli=cli,
        settings=AssistSettings,
        web=WebPage.beside(__file__, "Assist"),
    )


@lru_cache(maxsize=1)
def build_pack() -> Pack:
    """The pack with settings from the environment (built once, on first use)."""
    return create_pack()

"""The gateway's HTTP routes, one module per resource, combined into ``router``."""

from __future__ import annotations

from fastapi import APIRouter

from vantage.packs.gateway.api import catalog, chat, openai, specialists, usage

router = APIRouter()
for _module in (chat, openai, specialists, catalog, usage):
    router.include_router(_module.router)

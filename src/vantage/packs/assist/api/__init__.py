"""The assist pack's routers, combined."""

from __future__ import annotations

from fastapi import APIRouter

from vantage.packs.assist.api import learning, monitoring, query, search, validation


def build_router() -> APIRouter:
    """Every route of the pack."""
    router = APIRouter()
    for module in (validation, query, learning, monitoring, search):
        router.include_router(module.router)
    return router

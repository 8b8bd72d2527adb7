"""The application factory: core routers, middleware and the enabled packs."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CollectorRegistry

from vantage import PRODUCT_NAME, __version__
from vantage.config import Settings, load_settings
from vantage.core import health, meta, realtime
from vantage.core.auth.passwords import PasswordHasher
from vantage.core.db import Database
from vantage.core.packs import Pack, PackContext, discover_packs, select_packs
from vantage.core.pagination import CursorCodec
from vantage.core.problems import install_error_handlers
from vantage.core.redis import create_redis
from vantage.core.telemetry import (
    DatabasePoolCollector,
    HttpMetrics,
    RequestContextMiddleware,
    configure_logging,
)

logger = structlog.get_logger("vantage.app")


def enabled_packs(settings: Settings, packs: Sequence[Pack] | None = None) -> list[Pack]:
    """The packs this process serves: the given ones, or the installed ones ``PACKS`` selects."""
    available = {pack.name: pack for pack in packs} if packs is not None else discover_packs()
    return select_packs(available, settings.packs)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = app.state
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(state.hub.running())
        for pack in state.packs:
            if pack.lifespan is not None:
                context = PackContext(app=app, settings=state.settings, database=state.database)
                await stack.enter_async_context(pack.lifespan(context))
        logger.info("started", version=__version__, packs=[p.name for p in state.packs])
        try:
            yield
        finally:
            logger.info("stopping")
    if state.redis is not None:
        await state.redis.aclose()
    await state.database.dispose()


def _mount(app: FastAPI, settings: Settings, packs: list[Pack]) -> None:
    app.include_router(meta.router)
    app.include_router(health.router)
    app.include_router(realtime.router)
    if settings.metrics_enabled:
        app.include_router(meta.metrics_router)
    for pack in packs:
        if pack.router is not None:
            app.include_router(pack.router)


def create_app(settings: Settings | None = None, *, packs: Sequence[Pack] | None = None) -> FastAPI:
    """Build the ASGI application; ``packs`` replaces entry-point discovery (tests, embedding)."""
    settings = settings or load_settings()
    configure_logging(settings)
    selected = enabled_packs(settings, packs)
    for pack in selected:
        pack.import_models()

    app = FastAPI(
        title=PRODUCT_NAME,
        version=__version__,
        summary="One analytics backend for many dashboards",
        lifespan=_lifespan,
    )
    database = Database(settings)
    registry = CollectorRegistry()
    live_collector = DatabasePoolCollector(database)
    registry.register(live_collector)

    app.state.settings = settings
    app.state.database = database
    app.state.packs = selected
    app.state.redis = create_redis(settings.redis_url) if settings.redis_url else None
    app.state.metrics_registry = registry
    app.state.hub = realtime.create_hub(
        settings, redis=app.state.redis, metrics_registry=registry, packs=selected
    )
    app.state.live_collector = live_collector
    app.state.cursor_codec = CursorCodec(settings.secret_key)
    app.state.password_hasher = PasswordHasher()
    app.state.started_at = time.monotonic()

    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "ETag"],
        )
    app.add_middleware(RequestContextMiddleware, metrics=HttpMetrics(registry))
    _mount(app, settings, selected)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and worker processes."""
    return create_app()

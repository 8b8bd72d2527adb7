"""The application factory: core routers, middleware and the enabled packs."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial

import structlog
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CollectorRegistry

from vantage import PRODUCT_NAME, __version__
from vantage.config import Settings, load_settings
from vantage.core import health, meta, realtime
from vantage.core.auth.api import account_router, admin_router
from vantage.core.auth.context import auth_context, create_auth_context
from vantage.core.auth.dependencies import authenticate_credential, require_scope
from vantage.core.auth.login_guard import LoginGuard
from vantage.core.auth.principal import Scope
from vantage.core.cache import NotModified, create_response_cache, not_modified_response
from vantage.core.client_address import TrustedProxies
from vantage.core.compat import compat_router
from vantage.core.context import CoreServices
from vantage.core.db import Database
from vantage.core.docs import OPENAPI_URL, PAGE_URLS, install_docs
from vantage.core.early_answers import EarlyAnswerMiddleware, EarlyAnswers
from vantage.core.heap import serving_heap
from vantage.core.http_guard import BodyLimitMiddleware, BodyLimits, ResponseHeadersMiddleware
from vantage.core.jobs.endpoints import jobs_router
from vantage.core.jobs.runtime import JobRuntime
from vantage.core.limit_storage import create_limit_storage
from vantage.core.openapi_problems import install_problem_openapi
from vantage.core.packs import Pack, PackContext, enabled_packs
from vantage.core.pagination import CursorCodec
from vantage.core.private_files import protect_stored_files
from vantage.core.problems import install_error_handlers
from vantage.core.production import refuse_unsafe_production
from vantage.core.ratelimit import (
    EXPOSED_RATE_LIMIT_HEADERS,
    RateLimiter,
    rate_limit,
)
from vantage.core.redis import create_redis
from vantage.core.route_index import install_route_index
from vantage.core.route_limits import RouteGroups, default_rate_limit, token_throttle
from vantage.core.shutdown import before_termination
from vantage.core.suppressed import SuppressedErrors
from vantage.core.telemetry import (
    DatabasePoolCollector,
    HttpMetrics,
    RequestContextMiddleware,
    configure_logging,
)
from vantage.core.text import refuse_control_characters
from vantage.web import install_web

logger = structlog.get_logger("vantage.app")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    core: CoreServices = app.state.core
    packs: list[Pack] = app.state.packs
    await refuse_unsafe_production(core.settings, core.database)
    protect_stored_files(core.settings.data_dir, core.database.sqlite_path)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(core.hub.running())
        stack.enter_context(before_termination(core.hub.drain_clients))
        for pack in packs:
            if pack.lifespan is not None:
                await stack.enter_async_context(pack.lifespan(PackContext(app=app, core=core)))
        # Started after the packs (handlers may use what they set up), stopped before them.
        await stack.enter_async_context(core.jobs.running("api"))
        logger.info("started", version=__version__, packs=[p.name for p in packs])
        # Everything startup built exists by now: frozen, it stays out of the collector's walks.
        with serving_heap(core.settings.gc_young_threshold):
            try:
                yield
            finally:
                logger.info("stopping")
    if core.redis is not None:
        await core.redis.aclose()
    await core.rate_limiter.aclose()
    await auth_context(app).credentials.aclose()
    await core.database.dispose()


def _mount(app: FastAPI, settings: Settings, packs: list[Pack]) -> None:
    install_web(app, packs)  # first: browsers asking for / get the UI, scripts the JSON below
    app.include_router(meta.router)
    app.include_router(health.router)
    app.include_router(account_router, dependencies=[Depends(token_throttle)])
    app.include_router(admin_router)
    app.include_router(
        jobs_router(require_scope(Scope.READ), require_scope(Scope.INGEST)),
        dependencies=[Depends(rate_limit())],
    )
    app.include_router(realtime.router)
    if settings.metrics_enabled:
        app.include_router(meta.metrics_router)
    for pack in packs:
        if pack.router is not None:
            app.include_router(pack.router)
    if settings.compat_routes:
        app.include_router(compat_router(pack.compat for pack in packs if pack.compat))


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
        openapi_url=OPENAPI_URL if settings.docs_available else None,
        docs_url=None,  # served by install_docs, without a CDN
        redoc_url=None,
        dependencies=[Depends(refuse_control_characters), Depends(default_rate_limit)],
    )
    if settings.docs_available:
        install_docs(app, OPENAPI_URL)
    database = Database(settings)
    registry = CollectorRegistry()
    live_collector = DatabasePoolCollector(database)
    registry.register(live_collector)

    app.state.settings = settings
    app.state.database = database
    app.state.packs = selected
    app.state.redis = create_redis(settings.redis_url) if settings.redis_url else None
    app.state.metrics_registry = registry
    suppressed_errors = SuppressedErrors(registry)
    app.state.hub = realtime.create_hub(
        settings,
        redis=app.state.redis,
        metrics_registry=registry,
        suppressed_errors=suppressed_errors,
        packs=selected,
    )
    app.state.live_collector = live_collector
    app.state.cursor_codec = CursorCodec(settings.secret_key)
    app.state.response_cache = create_response_cache(
        app.state.redis, settings.response_cache_ttl_seconds, settings.response_cache_max_entries
    )
    app.state.login_guard = LoginGuard(create_limit_storage(settings), settings)
    app.state.auth = create_auth_context(settings, database, app.state.login_guard)
    app.state.password_hasher = app.state.auth.hasher
    app.state.started_at = time.monotonic()
    app.state.trusted_proxies = TrustedProxies(settings.forwarded_allow_ips)
    app.state.rate_limiter = RateLimiter.from_settings(settings, registry)
    app.state.early_answers = EarlyAnswers(registry)
    app.state.body_limits = BodyLimits(settings.max_body_bytes, settings.max_body_bytes_by_path)
    app.state.hub.authenticator = partial(authenticate_credential, app)
    app.state.jobs = JobRuntime(settings, database, selected, publisher=app.state.hub)
    app.state.core = CoreServices(
        settings=settings,
        database=database,
        redis=app.state.redis,
        metrics_registry=registry,
        suppressed_errors=suppressed_errors,
        hub=app.state.hub,
        response_cache=app.state.response_cache,
        cursor_codec=app.state.cursor_codec,
        rate_limiter=app.state.rate_limiter,
        early_answers=app.state.early_answers,
        body_limits=app.state.body_limits,
        jobs=app.state.jobs,
    )

    install_error_handlers(app)
    app.add_exception_handler(NotModified, not_modified_response)
    # Innermost of ours: what it answers still gets the request id, headers and metrics.
    app.add_middleware(EarlyAnswerMiddleware)
    app.add_middleware(BodyLimitMiddleware, limits=app.state.body_limits)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=settings.cors_allow_credentials,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "ETag", *EXPOSED_RATE_LIMIT_HEADERS],
        )
    app.add_middleware(RequestContextMiddleware, metrics=HttpMetrics(registry))
    # Outermost, so even the catch-all 500 problem carries the security headers.
    app.add_middleware(
        ResponseHeadersMiddleware,
        production=settings.is_production,
        docs_paths=PAGE_URLS if settings.docs_available else (),
    )
    _mount(app, settings, selected)
    install_route_index(app.router)
    app.state.route_groups = RouteGroups.of(app)
    install_problem_openapi(app)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and worker processes."""
    return create_app()

"""Start and stop the gateway: config, pricing, providers, tokenizer, usage writer, limiter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from vantage.config import Settings
from vantage.core.db import Database
from vantage.core.packs import PackContext
from vantage.core.shutdown import before_termination
from vantage.packs.gateway.config_file import load_config
from vantage.packs.gateway.pricing import load_pricing
from vantage.packs.gateway.providers.registry import build_registry
from vantage.packs.gateway.runtime import GatewayRuntime
from vantage.packs.gateway.services.attempts import Backoff, Caller
from vantage.packs.gateway.services.budgets import BudgetGuard
from vantage.packs.gateway.services.identity import UserHasher, derive_user_hash_key
from vantage.packs.gateway.services.limits import GatewayLimiter
from vantage.packs.gateway.services.routing import Router
from vantage.packs.gateway.services.specialists import (
    SpecialistDirectory,
    sync_config_specialists,
)
from vantage.packs.gateway.settings import GatewaySettings
from vantage.packs.gateway.tokens import TokenCounter
from vantage.packs.gateway.usage.live import usage_feed
from vantage.packs.gateway.usage.spool import UsageSpool
from vantage.packs.gateway.usage.writer import UsageMetrics, UsageWriter, WriterOptions

logger = structlog.get_logger("vantage.gateway")
SPOOL_DIR_NAME = "gateway-spool"


def gateway_settings_of(app: FastAPI) -> GatewaySettings:
    """Settings given to the app before start (tests, embedding), else read from the env."""
    preset = getattr(app.state, "gateway_settings", None)
    return preset if isinstance(preset, GatewaySettings) else GatewaySettings()


def build_writer(
    settings: Settings, gateway: GatewaySettings, database: Database, metrics: UsageMetrics
) -> UsageWriter:
    spool_dir = gateway.usage_spool_dir or settings.data_dir / SPOOL_DIR_NAME
    options = WriterOptions(
        queue_size=gateway.usage_queue_size,
        batch_size=gateway.usage_batch_size,
        flush_interval=gateway.usage_flush_interval_seconds,
        drain_seconds=gateway.usage_drain_seconds,
        replay_interval=gateway.usage_replay_interval_seconds,
    )
    return UsageWriter(database, UsageSpool(spool_dir), options, metrics)


async def build_runtime(app: FastAPI, settings: Settings, database: Database) -> GatewayRuntime:
    """Everything the gateway needs, validated; a bad file stops start-up with its message."""
    gateway = gateway_settings_of(app)
    config = load_config(gateway.config, production=settings.is_production)
    pricing = load_pricing(gateway.pricing_file, include_defaults=gateway.pricing_include_defaults)
    tokens = TokenCounter()
    await asyncio.to_thread(tokens.load)
    registry = build_registry(config, gateway, tokens)
    directory = SpecialistDirectory(database, gateway.specialist_cache_seconds)
    secret = gateway.user_hash_secret.get_secret_value() if gateway.user_hash_secret else None
    return GatewayRuntime(
        settings=gateway,
        config=config,
        database=database,
        registry=registry,
        caller=Caller(
            registry, Backoff(gateway.retry_backoff_seconds, gateway.retry_backoff_max_seconds)
        ),
        router=Router(gateway, registry, directory),
        pricing=pricing,
        tokens=tokens,
        writer=build_writer(settings, gateway, database, UsageMetrics(app.state.metrics_registry)),
        limiter=GatewayLimiter(
            app.state.rate_limiter,
            gateway,
            enabled=settings.rate_limit_enabled,
            fail_open=settings.rate_limit_fail_open,
        ),
        budgets=BudgetGuard(database, config.budgets),
        specialists=directory,
        hasher=UserHasher(derive_user_hash_key(secret, settings.secret_key)),
    )


@asynccontextmanager
async def gateway_lifespan(context: PackContext) -> AsyncIterator[None]:
    """Run the gateway for the life of the application; drain everything on the way out."""
    app = context.app
    runtime = await build_runtime(app, context.settings, context.database)
    declared = await sync_config_specialists(context.database, runtime.config)
    hub = getattr(app.state, "hub", None)
    if hub is not None:
        runtime.writer.on_stored = usage_feed(hub)
    await runtime.writer.start()
    app.state.gateway = runtime
    logger.info(
        "gateway ready",
        providers=sorted(runtime.registry.providers),
        specialists_in_file=declared,
        tokenizer=runtime.tokens.method,
        pricing=runtime.pricing.version,
    )
    try:
        with before_termination(runtime.interrupt_streams_later):
            yield
    finally:
        await runtime.wait_for_streams(runtime.settings.stream_shutdown_grace_seconds)
        await runtime.writer.close()
        await runtime.registry.aclose()
        app.state.gateway = None
        logger.info("gateway stopped")

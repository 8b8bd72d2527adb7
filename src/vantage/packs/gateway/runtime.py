"""The gateway for the life of one application: its runtime, the lifespan that runs it, and the
dependency that hands it to request handlers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends
from starlette.requests import HTTPConnection

from vantage.core.context import CoreServices, core_of
from vantage.core.db import Database
from vantage.core.packs import PackContext
from vantage.core.shutdown import before_termination
from vantage.core.suppressed import SuppressedErrors
from vantage.packs.gateway.domain.config_file import GatewayConfig, load_config
from vantage.packs.gateway.domain.pricing import load_pricing
from vantage.packs.gateway.domain.token_counter import TokenCounter
from vantage.packs.gateway.providers.registry import build_registry
from vantage.packs.gateway.service.attempts import Backoff, Caller
from vantage.packs.gateway.service.budgets import BudgetGuard
from vantage.packs.gateway.service.calls import CallServices
from vantage.packs.gateway.service.identity import UserHasher, derive_user_hash_key
from vantage.packs.gateway.service.limits import GatewayLimiter
from vantage.packs.gateway.service.routing import Router
from vantage.packs.gateway.service.specialists import (
    SpecialistDirectory,
    sync_config_specialists,
)
from vantage.packs.gateway.service.streams import StreamRegistry
from vantage.packs.gateway.settings import PACK_NAME, GatewaySettings
from vantage.packs.gateway.usage.live import usage_feed
from vantage.packs.gateway.usage.spool import UsageSpool
from vantage.packs.gateway.usage.writer import UsageMetrics, UsageWriter, WriterOptions

logger = structlog.get_logger("vantage.gateway")
SPOOL_DIR_NAME = "gateway-spool"


@dataclass
class GatewayRuntime(CallServices):
    """What a chat call uses, and what only the application's lifetime needs besides."""

    config: GatewayConfig
    database: Database
    specialists: SpecialistDirectory
    streams: StreamRegistry


def build_writer(
    core: CoreServices, gateway: GatewaySettings, errors: SuppressedErrors
) -> UsageWriter:
    """The usage writer, spooling under the data directory unless the settings name a place."""
    spool_dir = gateway.usage_spool_dir or core.settings.data_dir / SPOOL_DIR_NAME
    options = WriterOptions(
        queue_size=gateway.usage_queue_size,
        batch_size=gateway.usage_batch_size,
        flush_interval=gateway.usage_flush_interval_seconds,
        drain_seconds=gateway.usage_drain_seconds,
        replay_interval=gateway.usage_replay_interval_seconds,
    )
    metrics = UsageMetrics(core.metrics_registry)
    return UsageWriter(core.database, UsageSpool(spool_dir), options, metrics, errors)


async def build_runtime(core: CoreServices, gateway: GatewaySettings) -> GatewayRuntime:
    """Everything the gateway needs, validated; a bad file stops start-up with its message."""
    settings = core.settings
    config = load_config(gateway.config, production=settings.is_production)
    pricing = load_pricing(gateway.pricing_file, include_defaults=gateway.pricing_include_defaults)
    tokens = TokenCounter()
    await asyncio.to_thread(tokens.load)
    registry = build_registry(config, gateway, tokens)
    directory = SpecialistDirectory(core.database, gateway.specialist_cache_seconds)
    secret = gateway.user_hash_secret.get_secret_value() if gateway.user_hash_secret else None
    errors = core.suppressed_errors
    backoff = Backoff(gateway.retry_backoff_seconds, gateway.retry_backoff_max_seconds)
    return GatewayRuntime(
        settings=gateway,
        registry=registry,
        caller=Caller(registry, backoff, errors),
        router=Router(gateway, registry, directory),
        pricing=pricing,
        tokens=tokens,
        writer=build_writer(core, gateway, errors),
        limiter=GatewayLimiter(
            core.rate_limiter,
            gateway,
            enabled=settings.rate_limit_enabled,
            fail_open=settings.rate_limit_fail_open,
        ),
        budgets=BudgetGuard(core.database, config.budgets),
        hasher=UserHasher(derive_user_hash_key(secret, settings.secret_key)),
        errors=errors,
        config=config,
        database=core.database,
        specialists=directory,
        streams=StreamRegistry(gateway.stream_shutdown_grace_seconds),
    )


@asynccontextmanager
async def run_gateway(
    context: PackContext, settings: GatewaySettings | None = None
) -> AsyncIterator[None]:
    """Run the gateway for the life of the application; drain everything on the way out.

    ``settings`` replaces the environment's (tests, embedding); without them the environment
    is read when the application starts.
    """
    core = context.core
    runtime = await build_runtime(core, settings if settings is not None else GatewaySettings())
    declared = await sync_config_specialists(core.database, runtime.config)
    runtime.writer.on_stored = usage_feed(core.hub)
    await runtime.writer.start()
    core.runtimes.set(PACK_NAME, runtime)
    logger.info(
        "gateway ready",
        providers=sorted(runtime.registry.providers),
        specialists_in_file=declared,
        tokenizer=runtime.tokens.method,
        pricing=runtime.pricing.version,
    )
    try:
        with before_termination(runtime.streams.interrupt_streams_later):
            yield
    finally:
        await runtime.streams.wait_for_streams(runtime.settings.stream_shutdown_grace_seconds)
        await runtime.writer.close()
        await runtime.registry.aclose()
        core.runtimes.remove(PACK_NAME)
        logger.info("gateway stopped")


# ``async`` without awaiting: FastAPI would run a plain function in a worker thread.
async def _running_gateway(connection: HTTPConnection) -> GatewayRuntime:
    return core_of(connection).runtimes.get(PACK_NAME, GatewayRuntime)


GatewayRuntimeDep = Annotated[GatewayRuntime, Depends(_running_gateway)]

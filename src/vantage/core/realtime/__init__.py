"""Realtime channels over WebSocket and SSE, with history and exact resume (docs/REALTIME.md).

Packs declare channels (``Pack.channels``) and publish with ``await hub.publish(tenant_id,
channel, data)``, where ``hub`` is the core's ``hub`` (``PackContext.core.hub``); they never
touch sockets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from fastapi import APIRouter
from prometheus_client import CollectorRegistry

from vantage.core.realtime import sse, ws
from vantage.core.realtime.backends.base import Backend
from vantage.core.realtime.backends.memory import MemoryBackend
from vantage.core.realtime.channels import ChannelRegistry, ChannelSpec
from vantage.core.realtime.hub import Authenticator, Hub, HubConfig, stream_key
from vantage.core.realtime.messages import Message, Position
from vantage.core.realtime.metrics import HubMetrics
from vantage.core.realtime.origin import origin_check_for
from vantage.core.suppressed import SuppressedErrors

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from vantage.config import Settings
    from vantage.core.packs import Pack

router = APIRouter()
router.include_router(ws.router)
router.include_router(sse.router)


# Channels of the core itself: each job's status and progress (cache mode: a late subscriber
# sees where the job stands at once).
CORE_CHANNELS = (
    ChannelSpec(
        "core.jobs:*",
        history_size=100,
        history_ttl_seconds=3600,
        cache=True,
        description="status and progress of one job",
    ),
)


def channel_registry(packs: Sequence[Pack]) -> ChannelRegistry:
    """Every channel the enabled packs declare; a pack may only declare its own channels."""
    registry = ChannelRegistry()
    for spec in CORE_CHANNELS:
        registry.declare(spec)
    for pack in packs:
        for spec in pack.channels:
            if spec.pack != pack.name:
                raise ValueError(
                    f"pack {pack.name!r} declares channel {spec.pattern!r} of another pack"
                )
            registry.declare(spec)
    return registry


def create_backend(
    settings: Settings, redis: Redis | None, suppressed_errors: SuppressedErrors
) -> Backend:
    """Redis (shared by every process) when configured, else this process's memory."""
    if redis is None:
        return MemoryBackend()
    from vantage.core.realtime.backends.redis import RedisBackend

    return RedisBackend(redis, settings.realtime_redis_prefix, suppressed_errors=suppressed_errors)


def create_hub(
    settings: Settings,
    *,
    redis: Redis | None,
    metrics_registry: CollectorRegistry,
    suppressed_errors: SuppressedErrors,
    packs: Sequence[Pack],
) -> Hub:
    """The application's hub; ``hub.authenticator`` is set by whoever owns credentials."""
    return Hub(
        channels=channel_registry(packs),
        backend=create_backend(settings, redis, suppressed_errors),
        config=HubConfig.from_settings(settings),
        metrics=HubMetrics(metrics_registry),
        origin_check=origin_check_for(settings),
        suppressed_errors=suppressed_errors,
    )


__all__ = [
    "Authenticator",
    "ChannelRegistry",
    "ChannelSpec",
    "Hub",
    "HubConfig",
    "Message",
    "Position",
    "create_hub",
    "router",
    "stream_key",
]

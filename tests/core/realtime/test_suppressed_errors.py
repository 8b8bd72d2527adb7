"""Errors the realtime code passes over are logged with their traceback and counted."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from vantage.core.realtime import ws
from vantage.core.realtime.backends.memory import MemoryBackend
from vantage.core.realtime.backends.redis import RedisBackend
from vantage.core.realtime.channels import ChannelRegistry, ChannelSpec
from vantage.core.realtime.hub import Hub, HubConfig
from vantage.core.realtime.metrics import HubMetrics
from vantage.core.suppressed import SuppressedErrors


class RecordingLogger:
    """Keeps what was logged, whatever logging setup an earlier test left behind."""

    def __init__(self) -> None:
        self.records: list[tuple[str, dict[str, Any]]] = []

    def warning(self, event: str, **fields: Any) -> None:
        self.records.append((event, fields))

    def exception(self, event: str, **fields: Any) -> None:
        self.records.append((event, fields))


def _count(registry: CollectorRegistry, where: str) -> float:
    value = registry.get_sample_value("vantage_suppressed_errors_total", {"where": where})
    return value or 0.0


def test_an_error_is_counted_logged_and_passed_over() -> None:
    registry = CollectorRegistry()
    suppressed = SuppressedErrors(registry)
    logger = RecordingLogger()
    with suppressed.passing_over("somewhere", logger=logger):
        raise RuntimeError("boom")
    assert _count(registry, "somewhere") == 1
    assert logger.records == [("error passed over", {"where": "somewhere", "exc_info": True})]


def test_a_cancellation_is_not_swallowed() -> None:
    registry = CollectorRegistry()
    suppressed = SuppressedErrors(registry)
    with (
        pytest.raises(asyncio.CancelledError),
        suppressed.passing_over("x", logger=RecordingLogger()),
    ):
        raise asyncio.CancelledError
    assert _count(registry, "x") == 0


class UnclosableSocket:
    """Sends a malformed first message, then fails to close (the peer is already gone)."""

    async def receive(self) -> dict[str, Any]:
        return {"type": "websocket.receive", "text": "not an auth message"}

    async def close(self, code: int, reason: str) -> None:
        raise RuntimeError("the connection is already closed")


async def test_a_failed_close_after_refused_auth_is_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = CollectorRegistry()
    logger = RecordingLogger()
    monkeypatch.setattr(ws, "logger", logger)
    hub = Hub(
        channels=ChannelRegistry([ChannelSpec("rtt.feed")]),
        backend=MemoryBackend(),
        config=HubConfig(),
        metrics=HubMetrics(registry),
        origin_check=lambda connection: True,
        suppressed_errors=SuppressedErrors(registry),
    )
    principal = await ws._authenticate(hub, UnclosableSocket())  # type: ignore[arg-type]
    assert principal is None
    assert _count(registry, "realtime.ws.close_unauthenticated") == 1
    assert logger.records[-1][1]["exc_info"] is True


class UnclosablePubSub:
    async def aclose(self) -> None:
        raise ConnectionError("the server went away")


async def test_a_failed_pubsub_close_is_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = CollectorRegistry()
    logger = RecordingLogger()
    monkeypatch.setattr("vantage.core.realtime.backends.redis.logger", logger)
    client = Redis.from_url("redis://127.0.0.1:1/0")  # never connected: no command is sent
    backend = RedisBackend(client, "vtest:", suppressed_errors=SuppressedErrors(registry))
    backend._pubsub = UnclosablePubSub()  # type: ignore[assignment]
    await backend.stop()
    await client.aclose()
    assert _count(registry, "realtime.redis.close_pubsub") == 1
    assert logger.records == [
        ("error passed over", {"where": "realtime.redis.close_pubsub", "exc_info": True})
    ]

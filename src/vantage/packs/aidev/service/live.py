"""After an ingest commit: the changed sessions go out at once on ``aidev.sessions``; the KPIs
are recomputed and pushed on ``aidev.metrics`` at most once per interval per tenant (the last
commit of a burst is always published)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from vantage.core.realtime import Hub
from vantage.packs.aidev.channels import METRICS_CHANNEL, SESSIONS_CHANNEL

logger = structlog.get_logger("vantage.aidev.live")
ComputeMetrics = Callable[[int], Awaitable[dict[str, Any]]]


class LiveFeeds:
    """Publishes session changes and debounced KPIs for each tenant."""

    def __init__(self, hub: Hub, compute: ComputeMetrics, interval: float) -> None:
        self._hub = hub
        self._compute = compute
        self._interval = interval
        self._pending: dict[int, asyncio.Task[None]] = {}
        self._last: dict[int, float] = {}
        # Publishes past their wait, reading the database: let them finish on close.
        self._publishing: set[asyncio.Task[None] | None] = set()

    async def announce(self, tenant_id: int, accepted: int, sessions: list[int]) -> None:
        """Tell subscribers what a commit changed; never fails the ingest that called it."""
        try:
            await self._hub.publish(
                tenant_id, SESSIONS_CHANNEL, {"requests": accepted, "sessions": sessions}
            )
        except Exception as error:  # clients reload over REST; the data is committed
            logger.warning("sessions publish failed", tenant_id=tenant_id, error=str(error))
        self._schedule_metrics(tenant_id)

    def _schedule_metrics(self, tenant_id: int) -> None:
        if tenant_id in self._pending:
            return
        loop = asyncio.get_running_loop()
        last = self._last.get(tenant_id)
        delay = 0.0 if last is None else max(0.0, last + self._interval - loop.time())
        self._pending[tenant_id] = loop.create_task(self._publish_metrics(tenant_id, delay))

    async def _publish_metrics(self, tenant_id: int, delay: float) -> None:
        await asyncio.sleep(delay)
        # Leave the pending slot before reading: a commit from now on schedules the next one.
        self._pending.pop(tenant_id, None)
        self._last[tenant_id] = asyncio.get_running_loop().time()
        task = asyncio.current_task()
        if task is not None:
            self._publishing.add(task)
        try:
            await self._hub.publish(tenant_id, METRICS_CHANNEL, await self._compute(tenant_id))
        except Exception as error:
            logger.warning("metrics publish failed", tenant_id=tenant_id, error=str(error))
        finally:
            self._publishing.discard(task)

    async def close(self) -> None:
        """Cancel the publishes still waiting and let those already reading finish (shutdown)."""
        waiting = list(self._pending.values())
        self._pending.clear()
        for task in waiting:
            task.cancel()
        running = [task for task in self._publishing if task is not None]
        await asyncio.gather(*waiting, *running, return_exceptions=True)

"""Push the new dashboard to ``commerce.dashboard`` after ingest commits, at most once per interval.

A burst of batches schedules one publish per tenant: the publish runs when the interval since
the previous one has passed and reads the dashboard as it is then, so the last commit of a
burst is always published and a tenant's channel never gets more than one message a second.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from vantage.packs.commerce.channels import DASHBOARD_CHANNEL

logger = structlog.get_logger("vantage.commerce.realtime")

Compute = Callable[[int], Awaitable[dict[str, Any]]]
Publish = Callable[[int, str, dict[str, Any]], Awaitable[object]]
PublishOf = Callable[[], Publish | None]


class DashboardPublisher:
    """Debounced, per-tenant publisher of the dashboard."""

    def __init__(self, compute: Compute, publisher_of: PublishOf, interval: float) -> None:
        self._compute = compute
        self._publisher_of = publisher_of
        self._interval = interval
        self._pending: dict[int, asyncio.Task[None]] = {}
        self._last: dict[int, float] = {}
        self.published = 0

    def notify(self, tenant_id: int) -> None:
        """Note a commit for ``tenant_id``; call after the transaction committed."""
        if self._publisher_of() is None or tenant_id in self._pending:
            return
        loop = asyncio.get_running_loop()
        last = self._last.get(tenant_id)
        delay = 0.0 if last is None else max(0.0, last + self._interval - loop.time())
        self._pending[tenant_id] = loop.create_task(self._publish_after(tenant_id, delay))

    async def _publish_after(self, tenant_id: int, delay: float) -> None:
        await asyncio.sleep(delay)
        # Leave the pending slot before reading: a commit from now on schedules the next one.
        self._pending.pop(tenant_id, None)
        self._last[tenant_id] = asyncio.get_running_loop().time()
        publish = self._publisher_of()
        if publish is None:
            return
        try:
            data = await self._compute(tenant_id)
            await publish(tenant_id, DASHBOARD_CHANNEL, data)
            self.published += 1
        except Exception as error:  # a failed push must never fail ingest; clients can reload
            logger.warning("dashboard publish failed", tenant_id=tenant_id, error=str(error))

    async def close(self) -> None:
        """Cancel scheduled publishes (shutdown)."""
        tasks = list(self._pending.values())
        self._pending.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

"""Realtime updates: each processed event on ``delivery.events``, then the tenant's DORA
figures over the default window on ``delivery.dora`` (cache mode)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from vantage.core.db import Database
from vantage.core.windows import resolve_window
from vantage.packs.delivery.channels import DORA_CHANNEL, EVENTS_CHANNEL
from vantage.packs.delivery.service.dora import DoraFilter, dora
from vantage.packs.delivery.settings import DeliverySettings

Publish = Callable[[int, str, dict[str, Any]], Awaitable[object]]
logger = structlog.get_logger("vantage.delivery")


class LivePublisher:
    """Publishes what changed, after it committed; a failing hub never fails the ingest."""

    def __init__(self, publish: Publish, database: Database, settings: DeliverySettings) -> None:
        self._publish = publish
        self._database = database
        self._settings = settings

    async def changed(self, tenant_id: int, event: dict[str, Any]) -> None:
        """Announce one committed change and the figures it moved."""
        await self.changed_many(tenant_id, [event])

    async def changed_many(self, tenant_id: int, events: list[dict[str, Any]]) -> None:
        """Announce committed changes, then once the figures they moved."""
        try:
            for event in events:
                await self._publish(tenant_id, EVENTS_CHANNEL, event)
            window = resolve_window(None, None, self._settings.dora_days, default_days=30)
            async with self._database.reader() as session:
                figures = await dora(session, tenant_id, DoraFilter(), window)
            await self._publish(
                tenant_id, DORA_CHANNEL, figures.model_dump(mode="json", by_alias=True)
            )
        except Exception:
            logger.warning("delivery update not published", tenant_id=tenant_id, exc_info=True)

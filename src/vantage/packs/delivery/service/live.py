"""Realtime updates: each processed event on ``delivery.events`` at once, and the tenant's DORA
figures over the default window on ``delivery.dora`` (cache mode), coalesced.

Recomputing the figures after every event would make a burst of webhooks cost a recompute
each; instead a tenant's figures are refreshed at most once per
``VANTAGE_DELIVERY_DORA_REFRESH_SECONDS``. A change marks the tenant dirty; a refresh clears
the mark *before* it reads, so a change committed while a refresh is reading marks the tenant
again and is reflected by the next one: every change is in the next published figures.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from vantage.core.db import Database
from vantage.core.windows import resolve_window
from vantage.packs.delivery.channels import DORA_CHANNEL, EVENTS_CHANNEL
from vantage.packs.delivery.service.dora import DoraFilter, dora
from vantage.packs.delivery.settings import DeliverySettings

Publish = Callable[[int, str, dict[str, Any]], Awaitable[object]]
Refresh = Callable[[int], Awaitable[None]]
logger = structlog.get_logger("vantage.delivery")


@dataclass
class _TenantState:
    dirty: bool = False
    busy: bool = False  # a refresh runs or is scheduled; it will see ``dirty``
    next_at: float = 0.0  # the earliest the next refresh may start
    refreshes: int = 0
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class CoalescedRefresh:
    """Runs ``refresh(tenant)`` at most once per ``interval`` seconds per tenant, and always
    once more after the last change: the first change of a quiet tenant refreshes at once
    (its caller awaits it), later ones within the interval share one trailing refresh."""

    def __init__(
        self,
        refresh: Refresh,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._refresh = refresh
        self._interval = interval
        self._clock = clock
        self._tenants: dict[int, _TenantState] = {}

    def refreshes(self, tenant_id: int) -> int:
        """How many refreshes of the tenant have started."""
        state = self._tenants.get(tenant_id)
        return state.refreshes if state is not None else 0

    async def changed(self, tenant_id: int) -> None:
        """Note a committed change of the tenant's data."""
        state = self._tenants.setdefault(tenant_id, _TenantState())
        state.dirty = True
        if state.busy:
            return
        state.busy = True
        if self._clock() >= state.next_at:
            await self._run(tenant_id, state)
        if state.dirty:
            state.task = asyncio.create_task(self._trail(tenant_id, state))
        else:
            state.busy = False

    async def flush(self) -> None:
        """Run every scheduled refresh now, without waiting for its interval."""
        for tenant_id, state in list(self._tenants.items()):
            task = state.task
            if task is None:
                continue
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await self._run(tenant_id, state)

    async def close(self) -> None:
        """Cancel scheduled refreshes (the data they would publish is committed already)."""
        for state in self._tenants.values():
            if state.task is not None:
                state.task.cancel()
        await asyncio.gather(
            *[s.task for s in self._tenants.values() if s.task is not None],
            return_exceptions=True,
        )

    async def _run(self, tenant_id: int, state: _TenantState) -> None:
        state.dirty = False
        state.next_at = self._clock() + self._interval
        state.refreshes += 1
        try:
            await self._refresh(tenant_id)
        except Exception:
            logger.warning("delivery figures not refreshed", tenant_id=tenant_id, exc_info=True)

    async def _trail(self, tenant_id: int, state: _TenantState) -> None:
        try:
            while state.dirty:
                await asyncio.sleep(max(0.0, state.next_at - self._clock()))
                await self._run(tenant_id, state)
        finally:
            state.busy = False
            state.task = None


class LivePublisher:
    """Publishes what changed, after it committed; a failing hub never fails the ingest."""

    def __init__(self, publish: Publish, database: Database, settings: DeliverySettings) -> None:
        self._publish = publish
        self._database = database
        self._settings = settings
        self.figures = CoalescedRefresh(self._publish_figures, settings.dora_refresh_seconds)

    async def changed(self, tenant_id: int, event: dict[str, Any]) -> None:
        """Announce one committed change; the figures it moved follow (coalesced)."""
        try:
            await self._publish(tenant_id, EVENTS_CHANNEL, event)
        except Exception:
            logger.warning("delivery event not published", tenant_id=tenant_id, exc_info=True)
        await self.figures.changed(tenant_id)

    async def _publish_figures(self, tenant_id: int) -> None:
        window = resolve_window(None, None, self._settings.dora_days, default_days=30)
        async with self._database.reader() as session:
            figures = await dora(session, tenant_id, DoraFilter(), window)
        await self._publish(tenant_id, DORA_CHANNEL, figures.model_dump(mode="json", by_alias=True))


_SHARED: weakref.WeakKeyDictionary[Database, LivePublisher] = weakref.WeakKeyDictionary()


def live_publisher(
    publish: Publish, database: Database, settings: DeliverySettings
) -> LivePublisher:
    """The one publisher of a database in this process, so that the push API and the webhook
    jobs share one refresh per tenant and interval."""
    found = _SHARED.get(database)
    if found is None:
        found = _SHARED[database] = LivePublisher(publish, database, settings)
    return found

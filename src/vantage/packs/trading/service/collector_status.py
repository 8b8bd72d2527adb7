"""The collectors' state for ``system/components``, from the latest snapshot (any worker)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vantage.packs.trading.live.collectors.base import CollectorStatus
from vantage.packs.trading.service.live_metrics import latest_snapshot

if TYPE_CHECKING:
    from vantage.packs.trading.runtime import TradingRuntime


async def collector_statuses(runtime: TradingRuntime, tenant_id: int) -> list[CollectorStatus]:
    """Each collector's status, breaker and counters; empty until a snapshot is published."""
    collectors = runtime.collectors(tenant_id)
    if collectors is not None:  # this process leads: its own collectors are the freshest
        return [collector.report() for collector in collectors.collectors]
    snapshot = await latest_snapshot(runtime, tenant_id)
    return snapshot.collectors if snapshot is not None else []

"""Builders of trading events and a pipeline wired to a test database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from vantage.core.db import Database
from vantage.packs.trading.ingest.changes import AppliedBatch
from vantage.packs.trading.ingest.pipeline import IngestPipeline
from vantage.packs.trading.ingest.unit_of_work import IngestOutcome
from vantage.packs.trading.runtime import TradingRuntime
from vantage.packs.trading.settings import TradingSettings

T0 = datetime(2025, 3, 3, 14, 0, tzinfo=UTC)


def at(seconds: float, base: datetime | None = None) -> str:
    return ((base or T0) + timedelta(seconds=seconds)).isoformat()


def tick(
    event_id: str,
    seconds: float,
    *,
    symbol: str = "AAPL",
    bid: float = 100.0,
    ask: float = 100.5,
    last: float | None = None,
    size: float = 0.0,
    base: datetime | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "tick",
        "id": event_id,
        "ts": at(seconds, base),
        "symbol": symbol,
        "bid": bid,
        "ask": ask,
        "size": size,
    }
    if last is not None:
        event["last"] = last
    return event


def order(
    event_id: str,
    order_id: str,
    seconds: float,
    status: str = "submitted",
    base: datetime | None = None,
    **terms: Any,
) -> dict[str, Any]:
    event = {"type": "order", "id": event_id, "order_id": order_id, "status": status}
    event["ts"] = at(seconds, base)
    if status == "submitted":
        terms = {"strategy": "momentum", "symbol": "AAPL", "side": "buy", "qty": "100", **terms}
    return {**event, **{key: str(value) for key, value in terms.items()}}


def fill(
    event_id: str,
    order_id: str,
    seconds: float,
    qty: str,
    price: str,
    fee: str = "0",
    base: datetime | None = None,
) -> dict[str, Any]:
    return {
        "type": "fill",
        "id": event_id,
        "order_id": order_id,
        "ts": at(seconds, base),
        "qty": qty,
        "price": price,
        "fee": fee,
    }


def body(*events: dict[str, Any]) -> bytes:
    return json.dumps({"events": list(events)}).encode()


class Recorder:
    """A pipeline whose committed batches are kept for inspection."""

    def __init__(self, database: Database, settings: TradingSettings | None = None) -> None:
        self.batches: list[AppliedBatch] = []
        self.settings = settings or TradingSettings(_env_file=None)
        self.pipeline = IngestPipeline(database, self.settings, sink=self._keep)

    async def _keep(self, batch: AppliedBatch) -> None:
        self.batches.append(batch)

    async def send(self, *events: dict[str, Any], tenant_id: int = 1) -> IngestOutcome:
        return await self.pipeline.ingest(tenant_id, self.pipeline.parse_body(body(*events)))


def dec(value: str | int) -> Decimal:
    return Decimal(value)


async def record_trade(app: Any, tenant_id: int, fill_id: str) -> None:
    """A filled order of ``tenant_id``, through the app's own ingest pipeline."""
    pipeline = app.state.core.runtimes.get("trading", TradingRuntime).pipeline
    now = datetime.now(UTC)
    events = [
        order(f"{fill_id}-order", f"{fill_id}-o", 0, base=now),
        fill(fill_id, f"{fill_id}-o", 0.01, "100", "100", base=now),
    ]
    outcome = await pipeline.ingest(tenant_id, pipeline.parse_body(body(*events)))
    assert outcome.accepted == 2, outcome.errors


async def raise_alert(app: Any, tenant_id: int) -> int:
    """An active alert of ``tenant_id``; returns its id."""
    from vantage.packs.trading.models import Alert

    database: Database = app.state.database
    async with database.transaction() as session:
        alert = Alert(
            tenant_id=tenant_id,
            rule="component",
            subject="test-gateway",
            severity="critical",
            status="active",
            message="component test-gateway reports down",
            raised_at=datetime.now(UTC),
        )
        session.add(alert)
        await session.flush()
        return alert.id

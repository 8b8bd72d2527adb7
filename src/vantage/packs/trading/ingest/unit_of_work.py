"""The ingest unit of work: dedupe by event id, apply each event, write rows and rollups.

It runs inside the caller's transaction and never commits. An event that breaks a rule of the
domain (a fill for an unknown order, an overfill, a second submission) is refused with an error
at its batch index; the others are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.watermarks import bump_watermark, read_watermark
from vantage.packs.trading.ingest.bar_folding import TickAggregator
from vantage.packs.trading.ingest.changes import AppliedBatch
from vantage.packs.trading.ingest.events import (
    Event,
    EventError,
    FillEvent,
    Heartbeat,
    LogEvent,
    OrderEvent,
    StrategyUpdate,
    Tick,
)
from vantage.packs.trading.ingest.orders import OrderBook, RuleBroken
from vantage.packs.trading.repository import ingest as repo
from vantage.packs.trading.repository import rollups

PACK_NAME = "trading"


@dataclass
class IngestOutcome:
    """What happened to a batch: counts, per-event errors and the facts to publish."""

    accepted: int = 0
    duplicates: int = 0
    errors: list[EventError] = field(default_factory=list)
    applied: AppliedBatch | None = None


@dataclass
class PreparedBatch:
    """The work on a batch that needs no database, done before its transaction begins."""

    unique: list[tuple[int, Event]]
    duplicates: int
    ticks: TickAggregator
    ids: list[tuple[str, str]]


def prepare(events: list[tuple[int, Event]]) -> PreparedBatch:
    """Drop repeats within the batch and fold its ticks into bars."""
    seen: set[str] = set()
    unique: list[tuple[int, Event]] = []
    for index, event in events:
        if event.id not in seen:
            seen.add(event.id)
            unique.append((index, event))
    ticks = TickAggregator()
    ticks.add_ticks(event for _, event in unique if isinstance(event, Tick))
    ids: list[tuple[str, str]] = [(event.id, event.type) for _, event in unique]
    return PreparedBatch(unique, len(events) - len(unique), ticks, ids)


def _jsonable(values: dict[str, Any]) -> str:
    return json.dumps(values, default=str, separators=(",", ":"), sort_keys=True)


class BatchApplier:
    """Applies one batch of validated events for one tenant inside one transaction."""

    def __init__(self, session: AsyncSession, tenant_id: int, zone: ZoneInfo) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.zone = zone
        self.now = datetime.now(UTC)
        self.bars = TickAggregator()
        self.applied = AppliedBatch(tenant_id=tenant_id)
        self.errors: list[EventError] = []
        self.logs: list[dict[str, Any]] = []
        self.beats: dict[str, dict[str, Any]] = {}
        self.states: dict[str, dict[str, Any]] = {}

    def day_of(self, ts: datetime) -> date:
        return ts.astimezone(self.zone).date()

    async def apply(self, prepared: PreparedBatch) -> IngestOutcome:
        unique = prepared.unique
        fresh_ids = await repo.insert_new_events(
            self.session, self.tenant_id, prepared.ids, self.now
        )
        if len(fresh_ids) == len(unique):
            fresh = unique
            self.bars = prepared.ticks
        else:  # some were seen before: fold only the new ticks
            fresh = [(index, event) for index, event in unique if event.id in fresh_ids]
            self.bars.add_ticks(event for _, event in fresh if isinstance(event, Tick))
        book = OrderBook(self.session, self.tenant_id, self.day_of, self.applied, self.now)
        await book.load(event for _, event in fresh)

        refused: list[str] = []
        for index, event in fresh:
            try:
                self._apply_one(event, book)
            except RuleBroken as broken:
                refused.append(event.id)
                self.errors.append(
                    EventError(index, event.id, broken.loc, broken.message, "rule_violation")
                )
        if refused:
            await repo.delete_events(self.session, self.tenant_id, refused)
        await self._write(book)
        accepted = len(fresh) - len(refused)
        self.applied.events = accepted
        if accepted:
            await bump_watermark(self.session, self.tenant_id, PACK_NAME)
            watermark = await read_watermark(self.session, self.tenant_id, PACK_NAME)
            self.applied.version = watermark.version
        return IngestOutcome(
            accepted=accepted,
            duplicates=prepared.duplicates + len(unique) - len(fresh),
            errors=self.errors,
            applied=self.applied if accepted else None,
        )

    def _apply_one(self, event: Event, book: OrderBook) -> None:
        if isinstance(event, Tick):
            self.applied.ticks.append(event)
        elif isinstance(event, OrderEvent):
            book.on_order(event)
        elif isinstance(event, FillEvent):
            fill = book.on_fill(event)
            self.bars.add_fill(fill.symbol, event.ts, float(fill.price), float(fill.qty))
        elif isinstance(event, StrategyUpdate):
            self._on_strategy(event)
        elif isinstance(event, LogEvent):
            self._on_log(event)
        elif isinstance(event, Heartbeat):
            self._on_heartbeat(event)

    def _on_strategy(self, event: StrategyUpdate) -> None:
        held = self.states.get(event.strategy)
        if held is None or event.ts >= held["reported_at"]:
            self.states[event.strategy] = {
                "strategy": event.strategy,
                "status": event.status,
                "positions": _jsonable({k: str(v) for k, v in event.positions.items()}),
                "marks": _jsonable(event.marks),
                "signals": _jsonable(event.signals),
                "reported_at": event.ts,
            }
        self.applied.strategy_updates.append(event)

    def _on_log(self, event: LogEvent) -> None:
        self.logs.append(
            {
                "event_id": event.id,
                "ts": event.ts,
                "level": event.level,
                "component": event.component,
                "message": event.message,
                "fields": _jsonable(event.fields),
            }
        )
        self.applied.logs.append(event)

    def _on_heartbeat(self, event: Heartbeat) -> None:
        held = self.beats.get(event.component)
        count = 1 + (held["heartbeats"] if held else 0)
        if held is None or event.ts >= held["last_heartbeat_at"]:
            self.beats[event.component] = {
                "name": event.component,
                "reported_status": event.status,
                "interval_seconds": event.interval_seconds,
                "details": _jsonable(event.details),
                "first_seen_at": event.ts,
                "last_heartbeat_at": event.ts,
                "heartbeats": count,
            }
        else:
            held["heartbeats"] = count
        self.applied.heartbeats.append(event)

    async def _write(self, book: OrderBook) -> None:
        session, tenant = self.session, self.tenant_id
        await book.write()
        await rollups.merge_bars(session, tenant, self.bars.rows())
        await repo.upsert_strategy_states(session, tenant, list(self.states.values()))
        await repo.upsert_components(session, tenant, list(self.beats.values()))
        await repo.insert_logs(session, tenant, self.logs)

"""One ingest path for every source: HTTP batches, WebSocket publishes, the in-process API and
the simulator. Validate, apply in one transaction, then hand the facts to the live collectors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.db import Database
from vantage.packs.trading.ingest.changes import AppliedBatch
from vantage.packs.trading.ingest.events import Event, ParsedBatch, parse_body, parse_items
from vantage.packs.trading.ingest.unit_of_work import BatchApplier, IngestOutcome, prepare
from vantage.packs.trading.settings import TradingSettings

logger = structlog.get_logger("vantage.trading.ingest")

Sink = Callable[[AppliedBatch], Awaitable[None]]
BeforeCommit = Callable[[AsyncSession, IngestOutcome], Awaitable[None]]
DEADLOCK_RETRIES = 3


def _is_retryable(error: exc.DBAPIError) -> bool:
    # PostgreSQL: deadlock_detected / serialization_failure; another attempt succeeds.
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return code in {"40P01", "40001"}


class IngestPipeline:
    """Validates and stores batches; ``sink`` receives what each committed batch changed."""

    def __init__(self, database: Database, settings: TradingSettings, sink: Sink | None = None):
        self.database = database
        self.settings = settings
        self.sink = sink

    def parse_body(self, body: bytes) -> ParsedBatch:
        return parse_body(body, self.settings.max_batch_events)

    def parse_items(self, items: list[Any]) -> ParsedBatch:
        return parse_items(items, self.settings.max_batch_events)

    async def ingest(
        self, tenant_id: int, parsed: ParsedBatch, before_commit: BeforeCommit | None = None
    ) -> IngestOutcome:
        """Store the valid events of ``parsed``; errors of both stages come back by index.

        ``before_commit`` runs inside the transaction with the final outcome (to store an
        idempotent response together with the data it describes).
        """
        if not parsed.events:
            return IngestOutcome(errors=list(parsed.errors))
        outcome = await self._apply(tenant_id, parsed, before_commit)
        if outcome.applied is not None and self.sink is not None:
            await self.sink(outcome.applied)
        return outcome

    async def ingest_events(self, tenant_id: int, events: list[Event]) -> IngestOutcome:
        """Store already-validated events (the in-process API)."""
        return await self.ingest(tenant_id, ParsedBatch(events=list(enumerate(events))))

    async def _apply(
        self, tenant_id: int, parsed: ParsedBatch, before_commit: BeforeCommit | None
    ) -> IngestOutcome:
        prepared = prepare(parsed.events)
        for attempt in range(1, DEADLOCK_RETRIES + 1):
            try:
                async with self.database.transaction() as session:
                    applier = BatchApplier(session, tenant_id, self.settings.zone)
                    outcome = await applier.apply(prepared)
                    merged = [*parsed.errors, *outcome.errors]
                    outcome.errors = sorted(merged, key=lambda error: error.index)
                    if before_commit is not None:
                        await before_commit(session, outcome)
                    return outcome
            except exc.DBAPIError as error:
                if attempt == DEADLOCK_RETRIES or not _is_retryable(error):
                    raise
                logger.warning("ingest transaction retried", attempt=attempt, error=str(error))
        raise AssertionError("unreachable")

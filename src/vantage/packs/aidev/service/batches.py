"""One ingest unit of work: read units in, written in one transaction, announced after commit.

Every entry point (the batch API, the OTLP receiver, the file importer, the demo) comes here,
so all of them dedupe, price, roll up and cut sessions the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.db import Database
from vantage.packs.aidev.service.ingest import ingest_records
from vantage.packs.aidev.service.live import LiveFeeds
from vantage.packs.aidev.traces.bodies import Unit
from vantage.packs.aidev.traces.record import TraceRecord
from vantage.packs.gateway.service.pricing import PricingTable


@dataclass
class BatchReport:
    """What a unit of work did, with each rejection's position and reason."""

    accepted: int = 0
    duplicates: int = 0
    ignored: int = 0
    unpriced: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    committed_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def add(self, other: BatchReport) -> None:
        """Fold another report into this one (an import's running total)."""
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.ignored += other.ignored
        self.unpriced += other.unpriced
        self.rejected.extend(other.rejected)
        self.committed_at = other.committed_at


BeforeCommit = Callable[[AsyncSession, BatchReport], Awaitable[None]]


@dataclass
class TraceIngestor:
    """Writes read units for a tenant; shared by every way traces come in."""

    database: Database
    pricing: PricingTable
    session_gap: timedelta
    feeds: LiveFeeds | None = None

    async def write(
        self, tenant_id: int, units: Sequence[Unit], before_commit: BeforeCommit | None = None
    ) -> BatchReport:
        """Store the units' requests in one transaction; rejections are reported, not raised."""
        report = BatchReport()
        records: list[TraceRecord] = []
        for unit in units:
            records.extend(unit.parsed.records)
            report.ignored += unit.parsed.ignored
            if unit.parsed.rejected:
                report.rejected.extend((unit.position, reason) for reason in unit.parsed.rejected)
        async with self.database.transaction() as session:
            outcome = await ingest_records(
                session, tenant_id, records, pricing=self.pricing, session_gap=self.session_gap
            )
            report.accepted, report.duplicates = outcome.accepted, outcome.duplicates
            report.unpriced = outcome.unpriced
            report.committed_at = datetime.now(UTC)
            if before_commit is not None:
                await before_commit(session, report)
        if self.feeds is not None and outcome.accepted:
            await self.feeds.announce(tenant_id, outcome.accepted, sorted(outcome.sessions))
        return report

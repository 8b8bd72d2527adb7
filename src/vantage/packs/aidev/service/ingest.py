"""Writing a batch of requests: dedupe, identify, price, store, roll up and cut sessions, all in
the caller's transaction (so a batch is kept whole or not at all)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.watermarks import bump_watermark
from vantage.packs.aidev.repository import rollups
from vantage.packs.aidev.repository import traces as repository
from vantage.packs.aidev.service.identity import Developer, resolve_developers
from vantage.packs.aidev.service.pricing import PricedCost, price
from vantage.packs.aidev.service.sessionize import (
    NewRequest,
    cut_sessions,
    open_keyed_sessions,
)
from vantage.packs.aidev.traces.record import TraceRecord
from vantage.packs.gateway.service.pricing import PricingTable, to_nano

PACK_NAME = "aidev"


@dataclass
class IngestOutcome:
    """What a batch changed: new requests, duplicates (already stored or repeated in the
    batch), requests without a price, and the sessions that changed."""

    accepted: int = 0
    duplicates: int = 0
    unpriced: int = 0
    sessions: set[int] = field(default_factory=set)


def _row(
    tenant_id: int, record: TraceRecord, developer: Developer, cost: PricedCost
) -> dict[str, Any]:
    feedback = record.feedback
    return {
        "tenant_id": tenant_id,
        "request_id": record.request_id,
        "source": record.source,
        "trace_id": record.trace_id,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "developer": developer.key,
        "identity_source": developer.source,
        "session_key": record.session_key,
        "session_id": None,
        "repository": record.repository,
        "provider": record.provider,
        "model": record.model,
        "operation": record.operation,
        "input_tokens": record.input_tokens,
        "output_tokens": record.output_tokens,
        "cached_tokens": record.cached_tokens,
        "cost_nano": None if cost.usd is None else to_nano(cost.usd),
        "cost_source": cost.source,
        "unpriced": cost.unpriced,
        "failed": record.failed,
        "latency_ms": record.latency_ms,
        "suggestions_shown": feedback.shown,
        "suggestions_accepted": feedback.accepted,
        "rating": feedback.rating,
        "extra": record.extra,
    }


def _first_of_each(records: Sequence[TraceRecord]) -> list[TraceRecord]:
    seen: set[str] = set()
    unique = []
    for record in records:
        if record.request_id not in seen:
            seen.add(record.request_id)
            unique.append(record)
    return unique


def _new_request(position: int, row: dict[str, Any]) -> NewRequest:
    """What places the row in a session; ``position`` stands in for the id it is yet to get."""
    return NewRequest(
        position,
        row["developer"],
        row["started_at"],
        row["ended_at"] or row["started_at"],
        row["session_key"],
        row["model"],
        row["repository"],
        row["failed"],
        row["input_tokens"],
        row["output_tokens"],
        row["cost_nano"],
        row["unpriced"],
    )


async def ingest_records(
    session: AsyncSession,
    tenant_id: int,
    records: Sequence[TraceRecord],
    *,
    pricing: PricingTable,
    session_gap: timedelta,
) -> IngestOutcome:
    """Store the requests not stored before, with their rollups and sessions."""
    unique = _first_of_each(records)
    developers = await resolve_developers(session, tenant_id, [r.identity for r in unique])
    rows = [
        _row(tenant_id, record, developer, price(record, pricing))
        for record, developer in zip(unique, developers, strict=True)
    ]
    requests = [_new_request(position, row) for position, row in enumerate(rows)]
    keyed = await open_keyed_sessions(session, tenant_id, requests)
    for row in rows:
        if row["session_key"] is not None:
            row["session_id"] = keyed.ids[row["session_key"]]
    written = await repository.insert_new_traces(session, rows)
    row_ids = [written.get(row["request_id"]) for row in rows]
    new_rows = [row for row, row_id in zip(rows, row_ids, strict=True) if row_id is not None]
    await rollups.add_to_daily(session, tenant_id, list(written.values()))
    touched = await cut_sessions(session, tenant_id, keyed, requests, row_ids, session_gap)
    if new_rows:
        await bump_watermark(session, tenant_id, PACK_NAME)
    return IngestOutcome(
        accepted=len(new_rows),
        duplicates=len(records) - len(new_rows),
        unpriced=sum(1 for row in new_rows if row["unpriced"]),
        sessions=touched,
    )

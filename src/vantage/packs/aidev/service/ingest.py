"""Writing a batch of requests: dedupe, identify, price, store, roll up and cut sessions, all in
the caller's transaction (so a batch is kept whole or not at all)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
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


def _daily_row(tenant_id: int, key: tuple[date, str, str]) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "day": key[0],
        "developer": key[1],
        "model": key[2],
        "requests": 0,
        "failed": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cost_nano": 0,
        "unpriced": 0,
        "suggestions_shown": 0,
        "suggestions_accepted": 0,
        "with_feedback": 0,
        "positive": 0,
    }


def _daily_rows(tenant_id: int, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rollup increments of the new rows, summed per (day, developer, model)."""
    sums: dict[tuple[date, str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["started_at"].date(), row["developer"], row["model"])
        into = sums.get(key)
        if into is None:
            into = sums[key] = _daily_row(tenant_id, key)
        has_feedback = row["suggestions_shown"] > 0 or row["rating"] is not None
        positive = row["suggestions_accepted"] > 0 or (row["rating"] or 0) > 0
        into["requests"] += 1
        into["failed"] += int(row["failed"])
        into["input_tokens"] += row["input_tokens"]
        into["output_tokens"] += row["output_tokens"]
        into["cost_nano"] += row["cost_nano"] or 0
        into["unpriced"] += int(row["unpriced"])
        into["suggestions_shown"] += row["suggestions_shown"]
        into["suggestions_accepted"] += row["suggestions_accepted"]
        into["with_feedback"] += int(has_feedback)
        into["positive"] += int(has_feedback and positive)
    return list(sums.values())


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
    await rollups.add_to_daily(session, _daily_rows(tenant_id, new_rows))
    touched = await cut_sessions(session, tenant_id, keyed, requests, row_ids, session_gap)
    if new_rows:
        await bump_watermark(session, tenant_id, PACK_NAME)
    return IngestOutcome(
        accepted=len(new_rows),
        duplicates=len(records) - len(new_rows),
        unpriced=sum(1 for row in new_rows if row["unpriced"]),
        sessions=touched,
    )

"""Reading what the pack stored, for assertions (tests may look at their own database)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from vantage.packs.aidev.models import DailyUsage, Session, Trace

FIXTURES = Path(__file__).parent / "fixtures"
TRACE_FIELDS = (
    "request_id", "source", "started_at", "ended_at", "developer", "identity_source",
    "session_key", "repository", "provider", "model", "operation", "input_tokens",
    "output_tokens", "cached_tokens", "cost_usd", "cost_source", "unpriced", "failed",
    "latency_ms", "suggestions_shown", "suggestions_accepted", "rating", "extra",
)  # fmt: skip


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


async def stored_traces(app: FastAPI, tenant_id: int) -> dict[str, dict[str, Any]]:
    """Every stored request of the tenant by request id, with the fields the KPIs read."""
    async with app.state.database.reader() as session:
        rows = (await session.scalars(select(Trace).where(Trace.tenant_id == tenant_id))).all()
    return {row.request_id: {f: getattr(row, f) for f in TRACE_FIELDS} for row in rows}


async def snapshot(app: FastAPI, tenant_id: int) -> tuple[Any, ...]:
    """Everything the pack keeps for a tenant: traces, sessions and the daily rollup."""
    async with app.state.database.reader() as session:
        traces = (
            await session.execute(
                select(Trace.request_id, Trace.session_id, Trace.cost_usd)
                .where(Trace.tenant_id == tenant_id)
                .order_by(Trace.request_id)
            )
        ).all()
        sessions = (
            await session.execute(
                select(Session.id, Session.requests, Session.tokens, Session.cost_usd)
                .where(Session.tenant_id == tenant_id)
                .order_by(Session.id)
            )
        ).all()
        daily = (
            (
                await session.execute(
                    select(DailyUsage)
                    .where(DailyUsage.tenant_id == tenant_id)
                    .order_by(DailyUsage.day, DailyUsage.developer, DailyUsage.model)
                )
            )
            .scalars()
            .all()
        )
        rollup = [
            (d.day, d.developer, d.model, d.requests, d.failed, d.cost_usd, d.positive)
            for d in daily
        ]
    return tuple(traces), tuple(sessions), tuple(rollup)

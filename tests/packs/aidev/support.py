"""Reading what the pack stored, for assertions (tests may look at their own database)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from vantage.packs.aidev.models import DailyUsage, Session, Trace

FIXTURES = Path(__file__).parent / "fixtures"
TRACE_FIELDS = (
    "request_id", "source", "started_at", "ended_at", "developer", "identity_source",
    "session_key", "repository", "provider", "model", "operation", "input_tokens",
    "output_tokens", "cached_tokens", "cost_nano", "cost_source", "unpriced", "failed",
    "latency_ms", "suggestions_shown", "suggestions_accepted", "rating", "extra",
)  # fmt: skip


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


async def stored_traces(app: FastAPI, tenant_id: int) -> dict[str, dict[str, Any]]:
    """Every stored request of the tenant by request id, with the fields the KPIs read."""
    async with app.state.database.reader() as session:
        rows = (await session.scalars(select(Trace).where(Trace.tenant_id == tenant_id))).all()
    found = {row.request_id: {f: getattr(row, f) for f in TRACE_FIELDS} for row in rows}
    for fields in found.values():
        nano = fields["cost_nano"]
        fields["cost_usd"] = None if nano is None else Decimal(nano) / 10**9
    return found


async def snapshot(app: FastAPI, tenant_id: int) -> tuple[Any, ...]:
    """Everything the pack keeps for a tenant: traces, sessions and the daily rollup."""
    async with app.state.database.reader() as session:
        traces = (
            await session.execute(
                select(Trace.request_id, Trace.session_id, Trace.cost_nano)
                .where(Trace.tenant_id == tenant_id)
                .order_by(Trace.request_id)
            )
        ).all()
        sessions = (
            await session.execute(
                select(Session.id, Session.requests, Session.tokens, Session.cost_nano)
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
            (d.day, d.developer, d.model, d.requests, d.failed, d.cost_nano, d.positive)
            for d in daily
        ]
    return tuple(traces), tuple(sessions), tuple(rollup)


def payload(
    call_id: str,
    at: str,
    *,
    user: str | None = "dev@example.com",
    model: str = "gpt-4o-mini",
    failed: bool = False,
    shown: int = 0,
    accepted: int = 0,
    rating: str | None = None,
    session: str | None = None,
    repository: str | None = None,
    seconds: float = 2.0,
    tokens: tuple[int, int] = (100, 50),
    cost: float | None = 0.001,
) -> dict[str, Any]:
    """A LiteLLM StandardLoggingPayload with the fields the pack reads."""
    from datetime import datetime

    start = datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
    requester: dict[str, Any] = {"suggestions_shown": shown, "suggestions_accepted": accepted}
    if rating is not None:
        requester["rating"] = rating
    if repository is not None:
        requester["repository"] = repository
    if session is not None:
        requester["session_id"] = session
    return {
        "litellm_call_id": call_id,
        "call_type": "acompletion",
        "status": "failure" if failed else "success",
        "custom_llm_provider": "openai",
        "model": model,
        "startTime": start,
        "endTime": start + seconds,
        "prompt_tokens": tokens[0],
        "completion_tokens": tokens[1],
        "response_cost": cost,
        "end_user": user,
        "metadata": {"requester_metadata": requester},
    }

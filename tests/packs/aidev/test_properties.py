"""Random histories of batches (re-sent requests, late arrivals, several developers and models,
sessions by id and by gaps): the daily rollup equals plain SQL over the stored requests, and
the sessions hold exactly their requests with the gap rule kept."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.packs.aidev.support import payload
from tests.support.property_databases import new_tenant, opened_database
from vantage.core.db import Database
from vantage.packs.aidev.service.batches import TraceIngestor
from vantage.packs.aidev.service.pricing import load_price_table
from vantage.packs.aidev.traces.bodies import Unit
from vantage.packs.aidev.traces.formats import read_record

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
GAP = timedelta(minutes=30)
MODELS = ("gpt-4o-mini", "claude-3-5-sonnet-20241022", "house-model")

request = st.fixed_dictionaries(
    {
        "user": st.sampled_from(("a@x.io", "b@x.io", "c@x.io", None)),
        "minute": st.integers(0, 3 * 24 * 60),
        "model": st.sampled_from(MODELS),
        "failed": st.booleans(),
        "shown": st.integers(0, 3),
        "accepted": st.integers(0, 3),
        "rating": st.sampled_from((None, "positive", "negative")),
        "session": st.sampled_from((None, None, "s1", "s2")),
        "cost": st.sampled_from((None, 0.0, 0.0125)),
    }
)
# Request ids come from a small pool, so later batches re-send earlier requests.
batch = st.lists(st.tuples(st.integers(0, 15), request), min_size=1, max_size=8)
history = st.lists(batch, min_size=1, max_size=5)


def _payload(number: int, r: dict[str, Any]) -> dict[str, Any]:
    at = (START + timedelta(minutes=r["minute"])).isoformat()
    return payload(
        f"r{number}", at, user=r["user"], model=f"openai/{r['model']}", failed=r["failed"],
        shown=r["shown"], accepted=min(r["accepted"], r["shown"]), rating=r["rating"],
        session=r["session"], cost=r["cost"], seconds=30,
    )  # fmt: skip


def _utc(value: Any) -> datetime:
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def _raw(database: Database, sql: str, tenant_id: int) -> list[Any]:
    async with database.reader() as session:
        return list((await session.execute(text(sql), {"t": tenant_id})).all())


async def _check_rollup(database: Database, tenant_id: int) -> None:
    traces = await _raw(
        database,
        "SELECT started_at, developer, model, failed, input_tokens, output_tokens, cost_nano, "
        "unpriced, suggestions_shown, suggestions_accepted, rating FROM aidev_traces "
        "WHERE tenant_id = :t",
        tenant_id,
    )
    expected: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0] * 10)
    for started, dev, model, failed, tin, tout, cost, unpriced, shown, acc, rating in traces:
        sums = expected[(_utc(started).date().isoformat(), dev, model)]
        feedback = shown > 0 or rating is not None
        positive = feedback and (acc > 0 or (rating or 0) > 0)
        values = (1, failed, tin, tout, cost or 0, unpriced, shown, acc, feedback, positive)
        for i, value in enumerate(values):
            sums[i] += int(value)
    rollup = await _raw(
        database,
        "SELECT day, developer, model, requests, failed, input_tokens, output_tokens, cost_nano, "
        "unpriced, suggestions_shown, suggestions_accepted, with_feedback, positive "
        "FROM aidev_daily WHERE tenant_id = :t",
        tenant_id,
    )
    got = {(str(day)[:10], dev, model): [int(v) for v in rest] for day, dev, model, *rest in rollup}
    assert got == {key: [int(v) for v in sums] for key, sums in expected.items()}


async def _check_sessions(database: Database, tenant_id: int) -> None:
    traces = await _raw(
        database,
        "SELECT session_id, session_key, developer, started_at, ended_at, input_tokens, "
        "output_tokens FROM aidev_traces WHERE tenant_id = :t",
        tenant_id,
    )
    sessions = {
        row[0]: row
        for row in await _raw(
            database,
            "SELECT id, session_key, developer, started_at, ended_at, requests, tokens "
            "FROM aidev_sessions WHERE tenant_id = :t",
            tenant_id,
        )
    }
    members: dict[int, list[Any]] = defaultdict(list)
    for trace in traces:
        session_id, key, developer = trace[0], trace[1], trace[2]
        if key is None and developer == "":
            assert session_id is None
            continue
        assert session_id in sessions
        assert sessions[session_id][1] == key
        members[session_id].append(trace)
    assert set(members) == set(sessions)
    gap_spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for session_id, rows in members.items():
        _, key, developer, started, ended, requests, tokens = sessions[session_id]
        assert requests == len(rows)
        assert tokens == sum(r[5] + r[6] for r in rows)
        assert _utc(started) == min(_utc(r[3]) for r in rows)
        assert _utc(ended) == max(_utc(r[4]) for r in rows)
        if key is None:
            ordered = sorted(rows, key=lambda r: _utc(r[3]))
            latest_end = _utc(ordered[0][4])
            for row in ordered[1:]:
                assert _utc(row[3]) - latest_end <= GAP
                latest_end = max(latest_end, _utc(row[4]))
            gap_spans[developer].append((_utc(started), _utc(ended)))
    for spans in gap_spans.values():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start - end > GAP


async def _run(url: str, batches: list[list[tuple[int, dict[str, Any]]]]) -> None:
    async with opened_database(url) as database:
        tenant_id = await new_tenant(database)
        ingestor = TraceIngestor(database, load_price_table(None), GAP)
        for operations in batches:
            units = [Unit(i, read_record(_payload(n, r))) for i, (n, r) in enumerate(operations)]
            await ingestor.write(tenant_id, units)
        await _check_rollup(database, tenant_id)
        await _check_sessions(database, tenant_id)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=history)
def test_rollup_and_sessions_equal_raw_sql_sqlite(sqlite_url: str, batches: Any) -> None:
    asyncio.run(_run(sqlite_url, batches))


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=history)
def test_rollup_and_sessions_equal_raw_sql_postgres(postgres_url: str, batches: Any) -> None:
    asyncio.run(_run(postgres_url, batches))

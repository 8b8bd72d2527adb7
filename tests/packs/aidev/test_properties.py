"""Random histories of batches (re-sent requests, late arrivals, several developers and models,
sessions by id and by gaps): the daily rollup equals plain SQL over the stored requests, and
the sessions hold exactly their requests, with every figure equal to a recompute from them and
the gap rule kept."""

from __future__ import annotations

import asyncio
import itertools
import json
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
        "repository": st.sampled_from((None, None, "org/a", "org/b")),
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
        session=r["session"], cost=r["cost"], repository=r["repository"], seconds=30,
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


def _session_figures(rows: list[Any]) -> tuple[Any, ...]:
    """A session's figures recomputed from its requests: counts, span, models, and the
    repository of the latest request (by start, then id) that names one."""
    ordered = sorted(rows, key=lambda r: (_utc(r[3]), r[11]))
    named = [r[10] for r in ordered if r[10]]
    return (
        len(rows), sum(int(r[5]) for r in rows), sum(int(r[6]) for r in rows),
        sum(int(r[7]) for r in rows), sum(int(r[8] or 0) for r in rows),
        sum(int(r[12]) for r in rows), _utc(ordered[0][3]), max(_utc(r[4]) for r in rows),
        sorted({r[9] for r in rows}), named[-1] if named else None,
    )  # fmt: skip


def _stored_figures(row: Any) -> tuple[Any, ...]:
    requests, tokens_in, tokens_out, failed, cost, unpriced, started, ended, models, repo = row
    stored = json.loads(models) if isinstance(models, str) else models
    return (
        int(requests), int(tokens_in), int(tokens_out), int(failed), int(cost), int(unpriced),
        _utc(started), _utc(ended), stored, repo,
    )  # fmt: skip


async def _check_sessions(database: Database, tenant_id: int) -> None:
    traces = await _raw(
        database,
        "SELECT session_id, session_key, developer, started_at, ended_at, input_tokens, "
        "output_tokens, failed, cost_nano, model, repository, id, unpriced "
        "FROM aidev_traces WHERE tenant_id = :t",
        tenant_id,
    )
    sessions = {
        row[0]: row
        for row in await _raw(
            database,
            "SELECT id, session_key, developer, requests, input_tokens, output_tokens, failed, "
            "cost_nano, unpriced, started_at, ended_at, models, repository, tokens "
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
        stored = sessions[session_id]
        assert _stored_figures(stored[3:13]) == _session_figures(rows)
        assert stored[13] == stored[4] + stored[5]
        if stored[1] is None:
            ordered = sorted(rows, key=lambda r: _utc(r[3]))
            latest_end = _utc(ordered[0][4])
            for row in ordered[1:]:
                assert _utc(row[3]) - latest_end <= GAP
                latest_end = max(latest_end, _utc(row[4]))
            gap_spans[stored[2]].append((_utc(stored[9]), _utc(stored[10])))
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


async def _concurrent_batches(url: str) -> None:
    """Eight batches written at once, each adding requests to two session ids a first batch
    created and to one it did not: the sessions end up with every request counted once."""
    async with opened_database(url) as database:
        tenant_id = await new_tenant(database)
        ingestor = TraceIngestor(database, load_price_table(None), GAP)

        def unit(number: int) -> Unit:
            r = {
                "user": "a@x.io", "minute": number % 50, "model": MODELS[number % 3],
                "failed": number % 4 == 0, "shown": 1, "accepted": 1, "rating": None,
                "session": ("s1", "s2", "s3")[number % 3], "cost": 0.0125,
                "repository": ("org/a", None, "org/b")[number % 5 % 3],
            }  # fmt: skip
            return Unit(number, read_record(_payload(number, r)))

        await ingestor.write(tenant_id, [unit(0), unit(1)])
        await asyncio.gather(
            *(ingestor.write(tenant_id, [unit(n) for n in range(b, 200, 8)]) for b in range(2, 10))
        )
        await _check_sessions(database, tenant_id)


def test_concurrent_batches_into_one_session_sqlite(sqlite_url: str) -> None:
    asyncio.run(_concurrent_batches(sqlite_url))


def test_concurrent_batches_into_one_session_postgres(postgres_url: str) -> None:
    asyncio.run(_concurrent_batches(postgres_url))

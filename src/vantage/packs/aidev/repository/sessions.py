"""Session rows: created for session ids and for gaps, merged, and their totals refreshed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, Update, bindparam, case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.dialect import chunks, greatest, least, tenant_rows
from vantage.core.repository import insert_new_rows
from vantage.packs.aidev.models import Session, Trace

# Session ids or keys a lookup statement takes: a whole import batch's in one statement, as
# each statement is a round trip to the database, and far under either database's limit on
# bind parameters.
LOOKUP_CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class SessionSpan:
    """An existing gap-cut session of a developer: its id and time span."""

    id: int
    started_at: datetime
    ended_at: datetime


@dataclass(slots=True)
class SessionTotals:
    """A session's figures over a set of requests (what a refresh writes)."""

    developer: str
    started_at: datetime
    ended_at: datetime
    requests: int = 0
    failed: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_nano: int = 0
    unpriced: int = 0
    models: set[str] = field(default_factory=set)
    repository: str | None = None
    # When the latest request naming ``repository`` started (what decides a merge's repository).
    repository_at: datetime | None = None


def _lock_key(tenant_id: int, developer: str) -> int:
    digest = hashlib.blake2b(f"aidev:{tenant_id}:{developer}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_developers(session: AsyncSession, tenant_id: int, developers: Iterable[str]) -> None:
    """Serialize session cutting per developer until the transaction ends.

    On PostgreSQL two batches of one developer's requests would otherwise each miss the other's
    new session and leave two overlapping ones; SQLite's single writer already serializes them.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for developer in sorted(set(developers)):
        await session.execute(select(func.pg_advisory_xact_lock(_lock_key(tenant_id, developer))))


def _keyed_row(tenant_id: int, key: str, figures: SessionTotals) -> dict[str, object]:
    return {
        "tenant_id": tenant_id,
        "session_key": key,
        "developer": figures.developer,
        "repository": figures.repository,
        "started_at": figures.started_at,
        "ended_at": figures.ended_at,
        "requests": figures.requests,
        "failed": figures.failed,
        "tokens": figures.input_tokens + figures.output_tokens,
        "input_tokens": figures.input_tokens,
        "output_tokens": figures.output_tokens,
        "cost_nano": figures.cost_nano,
        "unpriced": figures.unpriced,
        "models": sorted(figures.models),
    }


async def _ids_by_key(session: AsyncSession, tenant_id: int, keys: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(keys, LOOKUP_CHUNK):
        result = await session.execute(
            select(Session.session_key, Session.id).where(
                Session.tenant_id == tenant_id, Session.session_key.in_(chunk)
            )
        )
        found.update({key: session_id for key, session_id in result.all() if key is not None})
    return found


async def keyed_session_ids(
    session: AsyncSession, tenant_id: int, totals: dict[str, SessionTotals]
) -> tuple[dict[str, int], set[int]]:
    """The session row of each sender's session id, created when new; ids by session key, and
    the ids of the rows created now.

    A new row is written with ``totals``; an existing one is left as it is, for the caller to
    refresh from its requests. Existing rows are looked up first, so that only new ones go
    through the insert, which tells which of them it wrote (see ``insert_new_rows``); those a
    concurrent writer created meanwhile are looked up again.
    """
    if not totals:
        return {}, set()
    found = await _ids_by_key(session, tenant_id, sorted(totals))
    missing = [key for key in totals if key not in found]
    if not missing:
        return found, set()
    table = Session.__table__
    assert isinstance(table, Table)
    inserted = await insert_new_rows(
        session,
        table,
        [_keyed_row(tenant_id, key, totals[key]) for key in missing],
        ("tenant_id", "session_key"),
        ("session_key", "id"),
    )
    created = {key: session_id for key, session_id in inserted}
    found.update(created)
    found.update(await _ids_by_key(session, tenant_id, sorted(set(missing) - set(created))))
    return found, set(created.values())


async def gap_sessions_near(
    session: AsyncSession, tenant_id: int, developer: str, start: datetime, end: datetime
) -> list[SessionSpan]:
    """The developer's gap-cut sessions that reach into [start, end], by start."""
    result = await session.execute(
        select(Session.id, Session.started_at, Session.ended_at)
        .where(
            Session.tenant_id == tenant_id,
            Session.developer == developer,
            Session.session_key.is_(None),
            Session.ended_at >= start,
            Session.started_at <= end,
        )
        .order_by(Session.started_at, Session.id)
    )
    return [SessionSpan(*row) for row in result.all()]


async def create_gap_session(
    session: AsyncSession, tenant_id: int, developer: str, at: datetime
) -> int:
    """A new, empty gap-cut session (its totals are refreshed once its requests are in)."""
    row = Session(
        tenant_id=tenant_id,
        developer=developer,
        started_at=at,
        ended_at=at,
        models=[],
        requests=0,
        failed=0,
        tokens=0,
        input_tokens=0,
        output_tokens=0,
        cost_nano=0,
        unpriced=0,
    )
    session.add(row)
    await session.flush()
    return row.id


async def assign_traces(
    session: AsyncSession, tenant_id: int, assignments: Sequence[tuple[int, int]]
) -> None:
    """Put each (trace id, session id) trace into its session."""
    if not assignments:
        return
    # A Core statement: the ORM would read an executemany UPDATE as a bulk update by key.
    table = Trace.__table__
    assert isinstance(table, Table)
    statement = (
        update(table)
        .where(table.c.tenant_id == tenant_id, table.c.id == bindparam("trace_row"))
        .values(session_id=bindparam("session_row"))
    )
    await session.execute(
        statement,
        [{"trace_row": trace, "session_row": target} for trace, target in assignments],
    )


async def absorb_sessions(
    session: AsyncSession, tenant_id: int, absorbed: Sequence[int], survivor: int
) -> None:
    """Move the traces of ``absorbed`` sessions into ``survivor`` and delete the absorbed."""
    if not absorbed:
        return
    await session.execute(
        update(Trace)
        .where(Trace.tenant_id == tenant_id, Trace.session_id.in_(absorbed))
        .values(session_id=survivor)
        .execution_options(synchronize_session=False)
    )
    await delete_sessions(session, tenant_id, absorbed)


async def delete_sessions(session: AsyncSession, tenant_id: int, ids: Iterable[int]) -> None:
    """Delete the sessions (their traces, if any, are left in no session)."""
    for chunk in chunks(sorted(set(ids))):
        await session.execute(
            delete(Session)
            .where(tenant_rows(Session.tenant_id, tenant_id, Session.id, chunk))
            .execution_options(synchronize_session=False)
        )


async def add_to_sessions(
    session: AsyncSession, tenant_id: int, additions: dict[int, SessionTotals]
) -> set[int]:
    """Add requests' totals to the existing sessions they joined (by session id); the ids of
    those whose repository depends on the order of their stored requests, left for a refresh.

    Adding is what a refresh would compute when the new requests are the newest rows: span
    widened, counts summed, models united, and the repository the newest request's when it
    started no earlier than every stored one (or none of those named one). The rows are locked
    first, so that on PostgreSQL a concurrent batch adds after this one, not over it.
    """
    table = Session.__table__
    assert isinstance(table, Table)
    undecided: set[int] = set()
    updates = []
    for chunk in chunks(sorted(additions), LOOKUP_CHUNK):
        result = await session.execute(
            select(table.c.id, table.c.ended_at, table.c.models, table.c.repository)
            .where(tenant_rows(table.c.tenant_id, tenant_id, table.c.id, chunk))
            .order_by(table.c.id)
            # FOR NO KEY UPDATE: the batch's own trace rows hold a key-share lock on the session
            # through their foreign key, which a plain FOR UPDATE would wait on (a deadlock).
            .with_for_update(key_share=True)
        )
        for session_id, ended_at, models, repository in result.all():
            added = additions[session_id]
            if added.repository_at is not None and repository and added.repository_at < ended_at:
                undecided.add(session_id)
                continue
            updates.append(_addition(session_id, added, models, repository))
    if updates:
        await session.execute(_session_addition_update(tenant_id), updates)
    return undecided


def _addition(
    session_id: int, added: SessionTotals, models: Iterable[str], repository: str | None
) -> dict[str, object]:
    return {
        "row_id": session_id, "add_started_at": added.started_at,
        "add_ended_at": added.ended_at, "add_requests": added.requests,
        "add_failed": added.failed, "add_input_tokens": added.input_tokens,
        "add_output_tokens": added.output_tokens,
        "add_tokens": added.input_tokens + added.output_tokens,
        "add_cost_nano": added.cost_nano, "add_unpriced": added.unpriced,
        "new_models": sorted(added.models.union(models)),
        "new_repository": added.repository or repository,
    }  # fmt: skip


def _session_addition_update(tenant_id: int) -> Update:
    """One UPDATE run for many sessions: the counters incremented in place, so that a
    concurrent batch's increments are kept whatever the order."""
    table = Session.__table__
    assert isinstance(table, Table)
    counters = (
        "requests", "failed", "input_tokens", "output_tokens", "tokens", "cost_nano", "unpriced",
    )  # fmt: skip
    started = bindparam("add_started_at", type_=table.c.started_at.type)
    ended = bindparam("add_ended_at", type_=table.c.ended_at.type)
    values: dict[str, Any] = {name: table.c[name] + bindparam(f"add_{name}") for name in counters}
    values |= {
        "started_at": least(started, table.c.started_at),
        "ended_at": greatest(ended, table.c.ended_at),
        "models": bindparam("new_models", type_=table.c.models.type),
        "repository": bindparam("new_repository", type_=table.c.repository.type),
    }
    return (
        update(table)
        .where(table.c.tenant_id == tenant_id, table.c.id == bindparam("row_id"))
        .values(values)
    )


async def refresh_sessions(session: AsyncSession, tenant_id: int, ids: Iterable[int]) -> None:
    """Recompute the totals, span, models and repository of the sessions from their traces."""
    for chunk in chunks(sorted(set(ids)), LOOKUP_CHUNK):
        await _refresh_chunk(session, tenant_id, list(chunk))


async def _refresh_chunk(session: AsyncSession, tenant_id: int, ids: list[int]) -> None:
    scope = (Trace.tenant_id == tenant_id, Trace.session_id.in_(ids))
    totals = await session.execute(
        select(
            Trace.session_id,
            func.min(Trace.started_at),
            func.max(func.coalesce(Trace.ended_at, Trace.started_at)),
            func.count(),
            func.sum(case((Trace.failed, 1), else_=0)),
            func.sum(Trace.input_tokens),
            func.sum(Trace.output_tokens),
            func.sum(func.coalesce(Trace.cost_nano, 0)),
            func.sum(case((Trace.unpriced, 1), else_=0)),
        )
        .where(*scope)
        .group_by(Trace.session_id)
    )
    models: dict[int, set[str]] = {}
    repositories: dict[int, str] = {}
    details = await session.execute(
        select(Trace.session_id, Trace.model, Trace.repository)
        .where(*scope)
        .order_by(Trace.session_id, Trace.started_at, Trace.id)
    )
    for session_id, model, repository in details.all():
        if session_id is None:
            continue
        models.setdefault(session_id, set()).add(model)
        if repository:
            repositories[session_id] = repository  # the latest one named wins
    updates = []
    for row in totals.all():
        session_id, started, ended, requests, failed, tokens_in, tokens_out, cost, unpriced = row
        updates.append({
            "row_id": session_id, "new_started_at": started, "new_ended_at": ended,
            "new_requests": requests, "new_failed": failed or 0,
            "new_input_tokens": tokens_in or 0, "new_output_tokens": tokens_out or 0,
            "new_tokens": (tokens_in or 0) + (tokens_out or 0), "new_cost_nano": int(cost or 0),
            "new_unpriced": unpriced or 0, "new_models": sorted(models.get(session_id, ())),
            "new_repository": repositories.get(session_id),
        })  # fmt: skip
    if updates:
        await session.execute(_session_totals_update(tenant_id), updates)


def _session_totals_update(tenant_id: int) -> Update:
    """One UPDATE run for many sessions (Core, so the ORM does not read it as by-key)."""
    table = Session.__table__
    assert isinstance(table, Table)
    columns = (
        "started_at", "ended_at", "requests", "failed", "input_tokens", "output_tokens",
        "tokens", "cost_nano", "unpriced", "models", "repository",
    )  # fmt: skip
    return (
        update(table)
        .where(table.c.tenant_id == tenant_id, table.c.id == bindparam("row_id"))
        .values({name: bindparam(f"new_{name}", type_=table.c[name].type) for name in columns})
    )

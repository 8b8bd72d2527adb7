"""Cutting requests into sessions: by the sender's session id, else by gaps in a developer's
requests (a gap longer than the setting starts a new session).

New requests may bridge two earlier sessions; those merge into the older one (the lower id),
so a session id can disappear when a late request arrives. Requests of an unknown developer
without a session id belong to no session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.aidev.models import UNKNOWN
from vantage.packs.aidev.repository import sessions as repository


# Not frozen: one is built for every request of a batch, and a frozen dataclass's constructor
# sets each field through ``object.__setattr__``, several times slower.
@dataclass(slots=True)
class NewRequest:
    """A request of a batch: its row id (its position in the batch until it is written), what
    places it in a session, and what it adds to the session's totals."""

    row_id: int
    developer: str
    started_at: datetime
    ended_at: datetime
    session_key: str | None
    model: str = ""
    repository: str | None = None
    failed: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    cost_nano: int | None = None
    unpriced: bool = False


@dataclass(slots=True)
class _Cluster:
    end: datetime
    sessions: list[int]
    requests: list[int]


def _clusters(
    spans: Sequence[repository.SessionSpan], requests: Sequence[NewRequest], gap: timedelta
) -> list[_Cluster]:
    """Sweep existing sessions and new requests by start; closer than ``gap`` means together."""
    items = [(s.started_at, s.ended_at, s.id, True) for s in spans] + [
        (r.started_at, r.ended_at, r.row_id, False) for r in requests
    ]
    items.sort(key=lambda item: (item[0], item[1]))
    clusters: list[_Cluster] = []
    for start, end, row_id, is_session in items:
        if not clusters or start - clusters[-1].end > gap:
            clusters.append(_Cluster(end, [], []))
        cluster = clusters[-1]
        cluster.end = max(cluster.end, end)
        (cluster.sessions if is_session else cluster.requests).append(row_id)
    return [cluster for cluster in clusters if cluster.requests]


def _keyed_totals(requests: Sequence[NewRequest]) -> dict[str, repository.SessionTotals]:
    """Each session id's totals over ``requests``, as a refresh would compute them from its
    rows: the developer of its first request, span, counts, models and the repository of the
    latest request (by start, then row) that names one."""
    totals: dict[str, repository.SessionTotals] = {}
    latest: dict[str, tuple[datetime, int]] = {}
    for request in sorted(requests, key=lambda r: r.started_at):
        key = request.session_key
        if key is None:
            continue
        into = totals.get(key)
        if into is None:
            into = totals[key] = repository.SessionTotals(
                request.developer, request.started_at, request.ended_at
            )
        into.ended_at = max(into.ended_at, request.ended_at)
        into.requests += 1
        into.failed += int(request.failed)
        into.input_tokens += request.input_tokens
        into.output_tokens += request.output_tokens
        into.cost_nano += request.cost_nano or 0
        into.unpriced += int(request.unpriced)
        into.models.add(request.model)
        order = (request.started_at, request.row_id)
        if request.repository and (key not in latest or order > latest[key]):
            latest[key] = order
            into.repository, into.repository_at = request.repository, request.started_at
    return totals


@dataclass(frozen=True, slots=True)
class KeyedSessions:
    """The session row of each session id in a batch, and which of them the batch created."""

    ids: dict[str, int]
    created: set[int]


async def open_keyed_sessions(
    session: AsyncSession, tenant_id: int, requests: Sequence[NewRequest]
) -> KeyedSessions:
    """The session row of each session id among ``requests``, created when new with their
    totals; ``row_id`` orders requests that start together.

    Done before the requests are written, so that each is written with its session already in
    place rather than assigned by a later update of every row.
    """
    ids, created = await repository.keyed_session_ids(session, tenant_id, _keyed_totals(requests))
    return KeyedSessions(ids, created)


async def _settle_keyed(
    session: AsyncSession,
    tenant_id: int,
    keyed: KeyedSessions,
    written: Sequence[tuple[NewRequest, int]],
    dropped: set[str],
) -> tuple[set[int], set[int]]:
    """The keyed sessions touched by the ``written`` requests (each with its new row id), and
    those still to refresh.

    Sessions that existed before get the written requests' totals added. A new session none of
    whose requests was written is removed; a new one whose totals counted a request that was
    not written (stored before, or by a concurrent writer) is refreshed.
    """
    touched: set[int] = set()
    joined: list[NewRequest] = []
    for request, row_id in written:
        session_id = keyed.ids[str(request.session_key)]
        touched.add(session_id)
        if session_id not in keyed.created:
            joined.append(replace(request, row_id=row_id))
    additions = {keyed.ids[key]: totals for key, totals in _keyed_totals(joined).items()}
    undecided = await repository.add_to_sessions(session, tenant_id, additions)
    overcounted = {keyed.ids[key] for key in dropped} & keyed.created
    await repository.delete_sessions(session, tenant_id, overcounted - touched)
    return touched, undecided | (overcounted & touched)


async def _by_gaps(
    session: AsyncSession,
    tenant_id: int,
    developer: str,
    requests: list[NewRequest],
    gap: timedelta,
) -> tuple[list[tuple[int, int]], set[int]]:
    start = min(r.started_at for r in requests) - gap
    end = max(r.ended_at for r in requests) + gap
    spans = await repository.gap_sessions_near(session, tenant_id, developer, start, end)
    ended = {r.row_id: r for r in requests}
    assignments: list[tuple[int, int]] = []
    touched: set[int] = set()
    for cluster in _clusters(spans, requests, gap):
        if cluster.sessions:
            survivor, *absorbed = sorted(cluster.sessions)
            await repository.absorb_sessions(session, tenant_id, absorbed, survivor)
        else:
            first = min(cluster.requests, key=lambda row: ended[row].started_at)
            survivor = await repository.create_gap_session(
                session, tenant_id, developer, ended[first].started_at
            )
        touched.add(survivor)
        assignments.extend((row_id, survivor) for row_id in cluster.requests)
    return assignments, touched


async def cut_sessions(
    session: AsyncSession,
    tenant_id: int,
    keyed: KeyedSessions,
    requests: Sequence[NewRequest],
    written: Sequence[int | None],
    gap: timedelta,
) -> set[int]:
    """Put each written request in its session; the ids of the sessions that changed.

    ``requests`` are those ``open_keyed_sessions`` saw; ``written`` is each one's new row id,
    or None when it was not written (a duplicate).
    """
    keyed_written: list[tuple[NewRequest, int]] = []
    dropped: set[str] = set()
    by_developer: dict[str, list[NewRequest]] = {}
    for request, row_id in zip(requests, written, strict=True):
        if row_id is None:
            if request.session_key is not None:
                dropped.add(request.session_key)
        elif request.session_key is not None:
            keyed_written.append((request, row_id))
        elif request.developer != UNKNOWN:
            by_developer.setdefault(request.developer, []).append(replace(request, row_id=row_id))
    touched, stale = await _settle_keyed(session, tenant_id, keyed, keyed_written, dropped)
    assignments: list[tuple[int, int]] = []
    await repository.lock_developers(session, tenant_id, by_developer)
    for developer, own in by_developer.items():
        more, changed = await _by_gaps(session, tenant_id, developer, own, gap)
        assignments.extend(more)
        touched |= changed
        stale |= changed
    await repository.assign_traces(session, tenant_id, assignments)
    await repository.refresh_sessions(session, tenant_id, stale)
    return touched

"""Cutting requests into sessions: by the sender's session id, else by gaps in a developer's
requests (a gap longer than the setting starts a new session).

New requests may bridge two earlier sessions; those merge into the older one (the lower id),
so a session id can disappear when a late request arrives. Requests of an unknown developer
without a session id belong to no session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.aidev.models import UNKNOWN
from vantage.packs.aidev.repository import sessions as repository


@dataclass(frozen=True, slots=True)
class NewRequest:
    """A request just written: its row id, what places it in a session, and what it adds to
    the session's totals."""

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
            into.repository = request.repository
    return totals


async def _by_session_key(
    session: AsyncSession, tenant_id: int, requests: Sequence[NewRequest]
) -> tuple[set[int], set[int]]:
    """Put the requests that carry a session id into its session; the sessions touched, and
    those of them that existed before (the new ones are written with their totals and need no
    refresh)."""
    totals = _keyed_totals(requests)
    ids, created = await repository.keyed_session_ids(session, tenant_id, totals)
    await repository.assign_keyed_traces(
        session, tenant_id, [r.row_id for r in requests if r.session_key is not None]
    )
    touched = set(ids.values())
    return touched, touched - created


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
    session: AsyncSession, tenant_id: int, requests: Sequence[NewRequest], gap: timedelta
) -> set[int]:
    """Put each new request in its session; the ids of the sessions that changed."""
    touched, stale = await _by_session_key(session, tenant_id, requests)
    assignments: list[tuple[int, int]] = []
    by_developer: dict[str, list[NewRequest]] = {}
    for request in requests:
        if request.session_key is None and request.developer != UNKNOWN:
            by_developer.setdefault(request.developer, []).append(request)
    await repository.lock_developers(session, tenant_id, by_developer)
    for developer, own in by_developer.items():
        more, changed = await _by_gaps(session, tenant_id, developer, own, gap)
        assignments.extend(more)
        touched |= changed
        stale |= changed
    await repository.assign_traces(session, tenant_id, assignments)
    await repository.refresh_sessions(session, tenant_id, stale)
    return touched

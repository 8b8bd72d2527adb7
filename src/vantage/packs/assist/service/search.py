"""Similarity search over the learning memory, work items and pull requests, by text or by
vector; hits of every kind asked for are ranked together by cosine similarity."""

from __future__ import annotations

from functools import partial
from typing import cast

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.errors import ValidationFailed
from vantage.packs.assist.repository import learning
from vantage.packs.assist.schemas import (
    MlHealthOut,
    Outcome,
    SearchIndexOut,
    SimilarHitOut,
    SimilarOut,
    SimilarRequest,
)
from vantage.packs.assist.search.embedders import Vectors, normalize
from vantage.packs.assist.search.memory import KINDS, Kind, MemoryIndexes
from vantage.packs.assist.service.delivery_items import (
    DELIVERY_KINDS,
    delivery_counts,
    pull_requests_of,
    sync_delivery,
    work_items_of,
)


def _query_vector(indexes: MemoryIndexes, request: SimilarRequest) -> Vectors | None:
    if (request.text is None) == (request.vector is None):
        raise ValidationFailed.field(("body", "text"), "send either text or vector")
    if request.vector is None:
        return None
    dimension = indexes.embedder.dimension
    if len(request.vector) != dimension:
        raise ValidationFailed.field(
            ("body", "vector"),
            f"the vector has {len(request.vector)} dimensions; {indexes.embedder.name} "
            f"vectors have {dimension}",
        )
    unit: Vectors = normalize(np.asarray([request.vector], dtype=np.float32))[0]
    return unit


def searched_kinds(request: SimilarRequest, delivery_running: bool) -> list[Kind]:
    """The kinds asked for (all by default); delivery's only while that pack runs."""
    asked = list(dict.fromkeys(request.kinds or KINDS))
    return [kind for kind in asked if delivery_running or kind not in DELIVERY_KINDS]


async def similar(
    session: AsyncSession,
    indexes: MemoryIndexes,
    tenant_id: int,
    request: SimilarRequest,
    delivery_running: bool,
) -> SimilarOut:
    """The tenant's ``k`` items of the kinds asked for nearest to the text or vector."""
    vector = _query_vector(indexes, request)
    kinds = searched_kinds(request, delivery_running)
    if "learning_memory" in kinds:
        await indexes.refresh(tenant_id, partial(learning.texts_after, session, tenant_id))
    await sync_delivery(session, indexes, tenant_id, kinds)
    if vector is None:
        vector = (await indexes.embed([request.text or ""]))[0]
    found = [
        (score, kind, key)
        for kind in kinds
        for key, score in await indexes.search_vector(tenant_id, vector, request.k, kind)
    ]
    ranked = sorted(found, key=lambda hit: -hit[0])[: request.k]
    results = await _hits(session, indexes, tenant_id, ranked)
    embedder = indexes.embedder
    return SimilarOut(
        model=embedder.name, backend=indexes.backend, dimension=embedder.dimension, results=results
    )


async def _hits(
    session: AsyncSession,
    indexes: MemoryIndexes,
    tenant_id: int,
    ranked: list[tuple[float, Kind, int]],
) -> list[SimilarHitOut]:
    memory_ids = [key for _, kind, key in ranked if kind == "learning_memory"]
    entries = await learning.entries_by_ids(session, tenant_id, memory_ids)
    work_items = work_items_of(indexes, tenant_id)
    pulls = pull_requests_of(indexes, tenant_id)
    hits: list[SimilarHitOut] = []
    for score, kind, key in ranked:
        hit = SimilarHitOut(kind=kind, id=key, score=round(score, 6))
        if kind == "learning_memory" and key in entries:
            entry = entries[key]
            hit.question, hit.sql = entry.question, entry.sql
            hit.outcome = cast(Outcome, entry.outcome)
        elif kind == "work_item" and key in work_items:
            item = work_items[key]
            hit.repository, hit.number, hit.title = item.repository, item.number, item.title
            hit.state, hit.story_points = item.state, item.story_points
        elif kind == "pull_request" and key in pulls:
            pr = pulls[key]
            hit.repository, hit.number, hit.title, hit.state = (
                pr.repository, pr.number, pr.title, pr.state,
            )  # fmt: skip
        else:
            continue  # gone between the search and now
        hits.append(hit)
    return hits


async def searchable_counts(
    session: AsyncSession, delivery_running: bool, tenant_id: int | None = None
) -> dict[Kind, dict[int, int]]:
    """Items per kind and tenant (every tenant, or only ``tenant_id``) that a search covers:
    every stored one, since a search brings its tenant's indexes up to date before it
    answers. Counted in the database, not in this process's indexes: those fill on a
    tenant's first search, so they would say "empty" of data that any search finds."""
    counts: dict[Kind, dict[int, int]] = {kind: {} for kind in KINDS}
    counts["learning_memory"] = await learning.counts_by_tenant(session, tenant_id)
    if delivery_running:
        counts.update(await delivery_counts(session, tenant_id))
    return counts


async def ml_health(
    session: AsyncSession, indexes: MemoryIndexes, delivery_running: bool
) -> MlHealthOut:
    """Which model and index serve similarity search; nothing of any tenant's data beyond
    whether there is anything to search at all."""
    counts = await searchable_counts(session, delivery_running)
    items = sum(n for per_tenant in counts.values() for n in per_tenant.values())
    return MlHealthOut(
        status="ok",
        model=indexes.embedder.name,
        dimension=indexes.embedder.dimension,
        backend=indexes.backend,
        items_loaded=indexes.loaded(),
        index_state=indexes.state(items),
    )


async def tenant_index(
    session: AsyncSession, indexes: MemoryIndexes, tenant_id: int, delivery_running: bool
) -> SearchIndexOut:
    """What a search of the tenant covers, per kind, and the state of its indexes."""
    counts = await searchable_counts(session, delivery_running, tenant_id)
    by_kind = {kind: per_tenant.get(tenant_id, 0) for kind, per_tenant in counts.items()}
    items = sum(by_kind.values())
    return SearchIndexOut(
        model=indexes.embedder.name,
        dimension=indexes.embedder.dimension,
        backend=indexes.backend,
        items_indexed=items,
        items_by_kind=by_kind,
        items_loaded=indexes.loaded(tenant_id),
        index_state=indexes.state(items, tenant_id),
    )

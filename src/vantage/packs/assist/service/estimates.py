"""Story point estimates for a new work item from the tenant's finished ones."""

from __future__ import annotations

import asyncio

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.assist.schemas import StoryPointNeighbourOut, StoryPointsOut, StoryPointsRequest
from vantage.packs.assist.search.estimates import estimate, leave_one_out_mae
from vantage.packs.assist.search.memory import MemoryIndexes
from vantage.packs.assist.service.delivery_items import sync_delivery, work_item_text, work_items_of

NO_DELIVERY = "the delivery pack is not running, so there are no work items to learn from"
NO_HISTORY = "no finished work item with story points yet (points come from a 'points: N' label)"


def _none_similar_enough(best: float, min_similarity: float) -> str:
    return (
        f"no finished work item is similar enough to estimate from (the most similar is "
        f"{max(best, 0.0):.2f}; at least {min_similarity:.2f} is needed)"
    )


async def estimate_story_points(
    session: AsyncSession,
    indexes: MemoryIndexes,
    tenant_id: int,
    request: StoryPointsRequest,
    delivery_running: bool,
    min_similarity: float,
) -> StoryPointsOut:
    """The estimate, its neighbours, and the estimator's leave-one-out error on the history;
    no estimate when no finished item is at least ``min_similarity`` alike."""
    model = indexes.embedder.name
    if not delivery_running:
        return StoryPointsOut(
            story_points=None, reason=NO_DELIVERY, neighbours=[], loo_mae=None, n=0, k=request.k,
            model=model,
        )  # fmt: skip
    await sync_delivery(session, indexes, tenant_id, ["work_item"])
    vectors = indexes.vectors(tenant_id, "work_item")
    finished = [
        item
        for item in work_items_of(indexes, tenant_id).values()
        if item.finished and item.story_points is not None and item.id in vectors
    ]
    if not finished:
        return StoryPointsOut(
            story_points=None, reason=NO_HISTORY, neighbours=[], loo_mae=None, n=0, k=request.k,
            model=model,
        )  # fmt: skip
    finished.sort(key=lambda item: item.id)
    history = np.vstack([vectors[item.id] for item in finished])
    points = np.array([item.story_points for item in finished], dtype=np.float64)
    query = (await indexes.embed([work_item_text(request.title, request.body)]))[0]
    guess, found = estimate(history, points, query, request.k, min_similarity)
    error = await asyncio.to_thread(leave_one_out_mae, history, points, request.k, min_similarity)
    neighbours = [
        StoryPointNeighbourOut(
            id=finished[n.position].id,
            repository=finished[n.position].repository,
            number=finished[n.position].number,
            title=finished[n.position].title,
            similarity=round(n.similarity, 6),
            story_points=float(points[n.position]),
        )
        for n in found
    ]
    best = float((history @ query).max())
    return StoryPointsOut(
        story_points=None if guess is None else round(guess, 2),
        reason=None if guess is not None else _none_similar_enough(best, min_similarity),
        neighbours=neighbours,
        loo_mae=None if error is None else round(error, 4),
        n=len(finished),
        k=request.k,
        model=model,
    )

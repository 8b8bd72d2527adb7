"""Similarity search over the learning memory, by text or by vector."""

from __future__ import annotations

from functools import partial

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.errors import ValidationFailed
from vantage.packs.assist.repository import learning
from vantage.packs.assist.schemas import MlHealthOut, SimilarHitOut, SimilarOut, SimilarRequest
from vantage.packs.assist.search.embedders import Vectors, normalize
from vantage.packs.assist.search.memory import MemoryIndexes


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


async def similar(
    session: AsyncSession, indexes: MemoryIndexes, tenant_id: int, request: SimilarRequest
) -> SimilarOut:
    """The tenant's ``k`` learning entries nearest to the text or vector."""
    vector = _query_vector(indexes, request)
    await indexes.refresh(tenant_id, partial(learning.texts_after, session, tenant_id))
    if vector is not None:
        hits = indexes.search_vector(tenant_id, vector, request.k)
    else:
        hits = await indexes.search(tenant_id, request.text or "", request.k)
    rows = await learning.entries_by_ids(session, tenant_id, [key for key, _ in hits])
    results = [
        SimilarHitOut(
            kind="learning_memory",
            id=key,
            score=round(score, 6),
            question=rows[key].question,
            sql=rows[key].sql,
            outcome=rows[key].outcome,
        )
        for key, score in hits
        if key in rows
    ]
    embedder = indexes.embedder
    return SimilarOut(
        model=embedder.name, backend=indexes.backend, dimension=embedder.dimension, results=results
    )


def ml_health(indexes: MemoryIndexes) -> MlHealthOut:
    """Which model and index serve similarity search, and how much they hold."""
    tenants, items = indexes.counts()
    return MlHealthOut(
        status="ok",
        model=indexes.embedder.name,
        dimension=indexes.embedder.dimension,
        backend=indexes.backend,
        tenants_indexed=tenants,
        items_indexed=items,
        index_state=indexes.state(),
    )

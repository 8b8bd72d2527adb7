"""SQL of similarity search in PostgreSQL with the pgvector extension.

One table per kind and embedding model, made on first use like a vector store's collection
(its column type needs the extension, which the migrations cannot assume): rows are
(tenant, item id, unit vector), and every statement filters by tenant. Vectors travel as
pgvector's text form (``[0.1,0.2,...]``) cast in SQL, so the driver needs no codec for them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

SAFE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
VECTOR = "CAST(CAST(:vector AS text) AS vector)"


def _table(name: str) -> str:
    # Names are built from settings and model names, never from requests; checked anyway,
    # since they are written into the SQL.
    if not SAFE_NAME.match(name):
        raise ValueError(f"not a safe table name: {name!r}")
    return f'"{name}"'


async def extension_installed(session: AsyncSession) -> bool:
    """Whether the database has the ``vector`` extension installed."""
    found = await session.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'vector'"))
    return found is not None


async def ensure_table(session: AsyncSession, name: str, dimension: int) -> None:
    """Create the table of one kind and model unless it exists."""
    await session.execute(
        text(
            f"CREATE TABLE IF NOT EXISTS {_table(name)} ("
            " tenant_id bigint NOT NULL, item_id bigint NOT NULL,"
            f" embedding vector({int(dimension)}) NOT NULL,"
            " PRIMARY KEY (tenant_id, item_id))"
        )
    )


async def upsert(
    session: AsyncSession, name: str, tenant_id: int, rows: Sequence[tuple[int, str]]
) -> None:
    """Store (or replace) the tenant's vectors, given as (item id, text form)."""
    await session.execute(
        text(
            f"INSERT INTO {_table(name)} (tenant_id, item_id, embedding)"
            f" VALUES (:tenant_id, :item_id, {VECTOR})"
            " ON CONFLICT (tenant_id, item_id) DO UPDATE SET embedding = excluded.embedding"
        ),
        [{"tenant_id": tenant_id, "item_id": key, "vector": vector} for key, vector in rows],
    )


async def delete_except(
    session: AsyncSession, name: str, tenant_id: int, keep: Sequence[int]
) -> None:
    """Delete the tenant's rows whose item ids are not in ``keep``."""
    await session.execute(
        text(
            f"DELETE FROM {_table(name)}"
            " WHERE tenant_id = :tenant_id AND NOT (item_id = ANY(CAST(:keep AS bigint[])))"
        ),
        {"tenant_id": tenant_id, "keep": list(keep)},
    )


async def nearest(
    session: AsyncSession, name: str, tenant_id: int, vector: str, k: int
) -> list[tuple[int, float]]:
    """The tenant's ``k`` items nearest to ``vector`` by cosine distance (an exact scan of the
    tenant's rows), with their cosine similarity."""
    rows = await session.execute(
        text(
            f"SELECT item_id, 1 - (embedding <=> {VECTOR}) AS score FROM {_table(name)}"
            f" WHERE tenant_id = :tenant_id ORDER BY embedding <=> {VECTOR}, item_id LIMIT :k"
        ),
        {"tenant_id": tenant_id, "vector": vector, "k": k},
    )
    return [(int(item_id), float(score)) for item_id, score in rows]

"""Work items (GitHub issues), and the texts of work items and pull requests other packs read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from vantage.core.db import utcnow
from vantage.core.dialect import insert_for
from vantage.packs.delivery.models import PullRequest, Repository, WorkItem


async def upsert_work_item(
    session: AsyncSession, tenant_id: int, repository_id: int, values: dict[str, Any]
) -> None:
    """Insert or update the work item ``values["number"]`` of a repository."""
    statement = insert_for(session, WorkItem).values(
        tenant_id=tenant_id, repository_id=repository_id, updated_at=utcnow(), **values
    )
    changes = {key: statement.excluded[key] for key in (*values, "updated_at") if key != "number"}
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "repository_id", "number"], set_=changes
        )
    )


async def delete_work_item(
    session: AsyncSession, tenant_id: int, repository_id: int, number: int
) -> None:
    await session.execute(
        delete(WorkItem).where(
            WorkItem.tenant_id == tenant_id,
            WorkItem.repository_id == repository_id,
            WorkItem.number == number,
        )
    )


async def _with_repository(
    session: AsyncSession,
    tenant_id: int,
    table: type[WorkItem] | type[PullRequest],
    *columns: InstrumentedAttribute[Any],
) -> list[tuple[Any, ...]]:
    """(id, repository full name, *columns) of each row of ``table``, oldest first."""
    rows = await session.execute(
        select(table.id, Repository.full_name, *columns)
        .join(Repository, Repository.id == table.repository_id)
        .where(table.tenant_id == tenant_id, Repository.tenant_id == tenant_id)
        .order_by(table.id)
    )
    return [tuple(row) for row in rows.all()]


async def work_items(session: AsyncSession, tenant_id: int) -> list[tuple[Any, ...]]:
    """(id, repository, number, title, body, state, finished, story_points), oldest first."""
    return await _with_repository(
        session, tenant_id, WorkItem, WorkItem.number, WorkItem.title, WorkItem.body,
        WorkItem.state, WorkItem.finished, WorkItem.story_points,
    )  # fmt: skip


async def pull_requests(session: AsyncSession, tenant_id: int) -> list[tuple[Any, ...]]:
    """(id, repository, number, title, state, labels), oldest first."""
    return await _with_repository(
        session, tenant_id, PullRequest, PullRequest.number, PullRequest.title,
        PullRequest.state, PullRequest.labels,
    )  # fmt: skip


async def _counts_by_tenant(
    session: AsyncSession, table: type[WorkItem] | type[PullRequest], tenant_id: int | None
) -> dict[int, int]:
    """How many rows of ``table`` each tenant (or only ``tenant_id``) has, counted as
    ``_with_repository`` reads them."""
    query = (
        select(table.tenant_id, func.count())
        .join(Repository, Repository.id == table.repository_id)
        .where(Repository.tenant_id == table.tenant_id)
        .group_by(table.tenant_id)
    )
    if tenant_id is not None:
        query = query.where(table.tenant_id == tenant_id)
    rows = await session.execute(query)
    return {int(tenant): int(count) for tenant, count in rows.all()}


async def work_item_counts(session: AsyncSession, tenant_id: int | None) -> dict[int, int]:
    """Work items per tenant (every tenant, or only ``tenant_id``)."""
    return await _counts_by_tenant(session, WorkItem, tenant_id)


async def pull_request_counts(session: AsyncSession, tenant_id: int | None) -> dict[int, int]:
    """Pull requests per tenant (every tenant, or only ``tenant_id``)."""
    return await _counts_by_tenant(session, PullRequest, tenant_id)

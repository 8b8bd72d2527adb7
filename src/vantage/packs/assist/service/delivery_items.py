"""Delivery's work items and pull requests in the search indexes, read through the delivery
pack's service and synced whenever its data version (watermark) moved."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.watermarks import read_watermark
from vantage.packs.assist.search.memory import Indexed, Kind, MemoryIndexes
from vantage.packs.delivery.service.work_items import (
    PullRequestText,
    WorkItemText,
    pull_request_texts,
    text_counts,
    work_item_texts,
)

DELIVERY = "delivery"
DELIVERY_KINDS: tuple[Kind, ...] = ("work_item", "pull_request")


def work_item_text(title: str, body: str) -> str:
    """What a work item is found by (a new item to estimate is embedded the same way)."""
    return f"{title}\n{body}".strip()


async def _work_items(session: AsyncSession, tenant_id: int) -> Sequence[Indexed[WorkItemText]]:
    items = await work_item_texts(session, tenant_id)
    return [Indexed(item.id, work_item_text(item.title, item.body), item) for item in items]


async def _pull_requests(
    session: AsyncSession, tenant_id: int
) -> Sequence[Indexed[PullRequestText]]:
    pulls = await pull_request_texts(session, tenant_id)
    return [Indexed(pr.id, f"{pr.title}\n{' '.join(pr.labels)}".strip(), pr) for pr in pulls]


async def sync_delivery(
    session: AsyncSession, indexes: MemoryIndexes, tenant_id: int, kinds: Sequence[Kind]
) -> None:
    """Bring the tenant's delivery kinds among ``kinds`` up to delivery's current data."""
    version = (await read_watermark(session, tenant_id, DELIVERY)).token

    async def work_items() -> Sequence[Indexed[WorkItemText]]:
        return await _work_items(session, tenant_id)

    async def pull_requests() -> Sequence[Indexed[PullRequestText]]:
        return await _pull_requests(session, tenant_id)

    if "work_item" in kinds:
        await indexes.sync(tenant_id, "work_item", version, work_items)
    if "pull_request" in kinds:
        await indexes.sync(tenant_id, "pull_request", version, pull_requests)


def work_items_of(indexes: MemoryIndexes, tenant_id: int) -> dict[int, WorkItemText]:
    """The synced work items, by id."""
    items = indexes.items(tenant_id, "work_item")
    return {key: item for key, item in items.items() if isinstance(item, WorkItemText)}


def pull_requests_of(indexes: MemoryIndexes, tenant_id: int) -> dict[int, PullRequestText]:
    """The synced pull requests, by id."""
    items = indexes.items(tenant_id, "pull_request")
    return {key: item for key, item in items.items() if isinstance(item, PullRequestText)}


async def delivery_counts(
    session: AsyncSession, tenant_id: int | None = None
) -> dict[Kind, dict[int, int]]:
    """Work items and pull requests per tenant (every tenant, or only ``tenant_id``): what
    searching those kinds covers."""
    work_items, pull_requests = await text_counts(session, tenant_id)
    return {"work_item": work_items, "pull_request": pull_requests}

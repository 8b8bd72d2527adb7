"""Helpers for commerce tests: building orders, tenants, and calling the services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from tests.conftest import TEST_SECRET
from vantage.config import Settings
from vantage.core.db import Database
from vantage.core.pagination import CursorCodec, PageParams
from vantage.core.sorting import SortKey
from vantage.core.windows import TimeWindow
from vantage.packs.commerce.schemas import OrderIn
from vantage.packs.commerce.service import analytics, cohorts, customers, products, rfm
from vantage.packs.commerce.service.analytics import ReadScope
from vantage.packs.commerce.service.ingest import ingest_orders


def order(
    order_id: str,
    customer: str | None,
    placed: datetime | str,
    status: str,
    *lines: tuple[str, int, str],
    **extra: Any,
) -> dict[str, Any]:
    """An order as the API takes it; lines are (product, quantity, unit price)."""
    placed_at = placed if isinstance(placed, str) else placed.isoformat()
    return {
        "id": order_id,
        "customer_id": customer,
        "placed_at": placed_at,
        "status": status,
        "lines": [{"product_id": p, "quantity": q, "unit_price": price} for p, q, price in lines],
        **extra,
    }


def window(start: date, end: date) -> TimeWindow:
    return TimeWindow(
        datetime.combine(start, time.min, tzinfo=UTC), datetime.combine(end, time.min, tzinfo=UTC)
    )


@asynccontextmanager
async def open_database(url: str) -> AsyncIterator[Database]:
    database = Database(Settings(database_url=url, jwt_secret=TEST_SECRET, _env_file=None))
    try:
        yield database
    finally:
        await database.dispose()


async def new_tenant(database: Database, slug: str) -> int:
    async with database.transaction() as session:
        now = datetime.now(UTC)
        await session.execute(
            text(
                "INSERT INTO tenants (slug, name, created_at, updated_at) "
                "VALUES (:slug, :slug, :now, :now)"
            ),
            {
                "slug": slug,
                "now": now.replace(tzinfo=None) if database.dialect == "sqlite" else now,
            },
        )
        return int(
            await session.scalar(text("SELECT id FROM tenants WHERE slug = :s"), {"s": slug})
        )


async def ingest(database: Database, tenant_id: int, orders: list[dict[str, Any]]) -> None:
    async with database.transaction() as session:
        await ingest_orders(session, tenant_id, [OrderIn.model_validate(o) for o in orders], "USD")


class Reader:
    """Calls the read services the way the endpoints do."""

    def __init__(self, database: Database, tenant_id: int) -> None:
        self.database = database
        self.scope = ReadScope(tenant_id, None, "USD")
        self.codec = CursorCodec(TEST_SECRET)

    async def dashboard(self, w: TimeWindow, top: int = 5, trend_days: int = 400) -> Any:
        async with self.database.reader() as session:
            return await analytics.dashboard(session, self.scope, w, top=top, trend_days=trend_days)

    async def revenue(self, w: TimeWindow, granularity: str) -> Any:
        async with self.database.reader() as session:
            return await analytics.revenue(session, self.scope, w, granularity, None)  # type: ignore[arg-type]

    async def all_customers(self, sort: SortKey, w: TimeWindow | None = None) -> list[Any]:
        rows: list[Any] = []
        cursor = None
        while True:
            async with self.database.reader() as session:
                page = await customers.list_customers(
                    session, self.scope, sort=sort, page=PageParams(2, 0, cursor),
                    cursors=self.codec, window=w,
                )  # fmt: skip
            rows += page.data
            cursor = page.pagination.next_cursor
            if cursor is None:
                return rows

    async def customer(self, external_id: str) -> Any:
        async with self.database.reader() as session:
            return await customers.customer_detail(session, self.scope, external_id)

    async def all_products(self, sort: SortKey, w: TimeWindow | None) -> list[Any]:
        rows: list[Any] = []
        offset = 0
        while True:
            async with self.database.reader() as session:
                page = await products.list_products(
                    session, self.scope, sort=sort, page=PageParams(2, offset, None), window=w
                )
            rows += page.data
            offset += 2
            if not page.data:
                return rows

    async def cohorts(self, w: TimeWindow) -> Any:
        async with self.database.reader() as session:
            return await cohorts.cohorts(session, self.scope, w)

    async def rfm(self, w: TimeWindow) -> Any:
        async with self.database.reader() as session:
            return await rfm.rfm(session, self.scope, w)


def money(value: str) -> Decimal:
    return Decimal(value)


def days(start: date, count: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]

"""The debounced dashboard push, the idempotency store's lock takeover, and the demo loader."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest

from tests.packs.commerce.support import Reader, open_database, window
from vantage.core.errors import Conflict
from vantage.core.idempotency import IdempotencyStore, StoredResponse
from vantage.core.packs import DemoContext
from vantage.packs.commerce.channels import DASHBOARD_CHANNEL as CHANNEL
from vantage.packs.commerce.demo import DemoGenerator, load_demo
from vantage.packs.commerce.service.publisher import DashboardPublisher


async def test_a_burst_publishes_once_per_interval_and_ends_current() -> None:
    sent: list[tuple[int, str, dict[str, Any]]] = []
    version = {"value": 0}

    async def compute(tenant_id: int) -> dict[str, Any]:
        return {"version": version["value"]}

    async def publish(tenant_id: int, channel: str, data: dict[str, Any]) -> None:
        sent.append((tenant_id, channel, data))

    publisher = DashboardPublisher(compute, lambda: publish, interval=0.3)
    for step in range(10):  # ten commits in quick succession
        version["value"] = step
        publisher.notify(7)
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.7)
    assert [channel for _, channel, _ in sent] == [CHANNEL, CHANNEL]
    assert sent[0][2] == {"version": 0}  # the first commit is pushed at once
    assert sent[-1][2] == {"version": 9}  # the last state of the burst is always pushed
    publisher.notify(8)
    await publisher.close()


async def test_no_hub_means_no_publish() -> None:
    async def compute(tenant_id: int) -> dict[str, Any]:
        raise AssertionError("nothing to compute without a hub")

    publisher = DashboardPublisher(compute, lambda: None, interval=0)
    publisher.notify(1)
    await asyncio.sleep(0.01)
    assert publisher.published == 0


async def test_an_expired_claim_is_taken_over(database_url: str) -> None:
    async with open_database(database_url) as database:
        store = IdempotencyStore(database, ttl=timedelta(hours=1), lock=timedelta(seconds=-1))
        first = await store.claim(1, "scope", "key", "f" * 64)
        assert not isinstance(first, StoredResponse)
        second = await store.claim(1, "scope", "key", "f" * 64)  # the first one's lock expired
        assert not isinstance(second, StoredResponse)
        held = IdempotencyStore(database, ttl=timedelta(hours=1), lock=timedelta(minutes=1))
        await held.claim(1, "scope", "other", "a" * 64)
        with pytest.raises(Conflict):
            await held.claim(1, "scope", "other", "a" * 64)
        await held.complete_alone(second, StoredResponse(201, "application/json", b"{}"))
        assert await held.claim(1, "scope", "key", "f" * 64) == StoredResponse(
            201, "application/json", b"{}"
        )


def test_the_generator_has_seasons_power_laws_and_a_status_mix() -> None:
    # A fixed year: the 365 days before 30 November of a leap year lack 1 December and hold a
    # 29-day February, and December's lead then falls short of the bar.
    generator = DemoGenerator(orders=20_000, days=365, products=200, seed=3, end=date(2027, 1, 1))
    orders = list(generator)
    assert len(orders) == 20_000
    statuses = {s: sum(1 for o in orders if o.status == s) / len(orders)
                for s in ("completed", "pending", "cancelled", "refunded")}  # fmt: skip
    assert statuses["completed"] > 0.8 and 0.03 < statuses["cancelled"] < 0.1
    by_product: dict[str, int] = {}
    by_customer: dict[str, int] = {}
    for o in orders:
        for product, _, _ in o.lines:
            by_product[product] = by_product.get(product, 0) + 1
        if o.customer_id:
            by_customer[o.customer_id] = by_customer.get(o.customer_id, 0) + 1
    top = sorted(by_product.values(), reverse=True)
    assert sum(top[:20]) > 0.4 * sum(top)  # 10% of the products sell over 40% of the lines
    assert max(by_customer.values()) >= 20 and sum(1 for n in by_customer.values() if n > 1) > 100
    assert any(q < 0 for o in orders for _, q, _ in o.lines)  # returns
    december = sum(1 for o in orders if o.placed_at.month == 12)
    february = sum(1 for o in orders if o.placed_at.month == 2)
    assert december > 1.3 * february


async def test_demo_loads_through_the_ingest_path(sqlite_url: str, make_settings: Any) -> None:
    async with open_database(sqlite_url) as database:
        progress: list[tuple[int, int]] = []
        context = DemoContext(
            settings=make_settings(database_url=sqlite_url), database=database, tenant_id=1,
            scale="small", progress=lambda done, total: progress.append((done, total)),
        )  # fmt: skip
        # The demo's window ends tomorrow; read from the window's first day before loading to
        # its end after, which holds it whichever day the load ran on (midnight may pass).
        before = DemoGenerator(orders=1, days=365, products=1)
        summary = await load_demo(context)
        assert summary.startswith("20,000 orders") and progress[-1][0] == progress[-1][1]
        after = DemoGenerator(orders=1, days=365, products=1)
        board = await Reader(database, 1).dashboard(window(before.first, after.end))
        assert board.transactions == 20_000 and board.orders_by_status.refunded > 0

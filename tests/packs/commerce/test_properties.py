"""Random histories of inserts, re-sends (status changes, new lines, new customers, moved
dates: late backfills), cancellations and refunds: every number the read services give equals
plain SQL over the raw orders and lines, exactly; and the same history sent as API batches and
imported as files gives identical answers."""

from __future__ import annotations

import asyncio
import csv
import tempfile
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.packs.commerce import reference as ref
from tests.packs.commerce.support import Reader, ingest, new_tenant, open_database, order, window
from vantage.core.db import Database
from vantage.core.sorting import SortKey
from vantage.packs.commerce.domain.money import from_minor
from vantage.packs.commerce.ingest.batch import STATUSES
from vantage.packs.commerce.ingest.files import FileFormat, ImportPlan
from vantage.packs.commerce.ingest.rows import ColumnMap
from vantage.packs.commerce.repository import products as product_reads
from vantage.packs.commerce.service.importer import import_file

START = date(2024, 12, 20)
SPAN = 80
PRICES = ("0", "0.0001", "1.5", "2.25", "10", "99.99")
WINDOWS = (
    window(date(2024, 12, 1), date(2025, 4, 1)),  # everything
    window(date(2025, 1, 10), date(2025, 2, 5)),  # inside, edges mid-month
    window(date(2026, 1, 1), date(2026, 2, 1)),  # empty
)

line = st.tuples(
    st.sampled_from(("p1", "p2", "p3", "p4")), st.integers(-2, 4), st.sampled_from(PRICES)
)
version = st.fixed_dictionaries(
    {
        "customer": st.sampled_from(("c1", "c2", "c3", "c4", "c5", None)),
        "day": st.integers(0, SPAN),
        "hour": st.integers(0, 23),
        "status": st.sampled_from(STATUSES),
        "lines": st.lists(line, min_size=1, max_size=3),
    }
)
# Order ids come from a small pool, so later batches re-send earlier orders with changes.
batch = st.lists(st.tuples(st.integers(0, 7), version), min_size=1, max_size=4,
                 unique_by=lambda op: op[0])  # fmt: skip
history = st.lists(batch, min_size=1, max_size=6)
first_pages = st.sampled_from((1, 2, product_reads.FIRST_GROSS_PAGE))


def _api_order(number: int, v: dict[str, Any]) -> dict[str, Any]:
    placed = datetime.combine(START + timedelta(days=v["day"]), time(v["hour"]), tzinfo=UTC)
    return order(f"o{number}", v["customer"], placed, v["status"], *v["lines"])


async def _ids(session: Any, table: str, tenant_id: int) -> dict[str, int]:
    rows = await session.execute(
        text(f"SELECT external_id, id FROM {table} WHERE tenant_id = :t"),  # noqa: S608
        {"t": tenant_id},
    )
    return {external: internal for external, internal in rows}


async def _check_dashboards(reader: Reader, orders: list[ref.RawOrder]) -> None:
    for w in WINDOWS:
        start, end = w.start.date(), w.end.date()
        got = await reader.dashboard(w, top=3)
        expected = ref.status_totals(orders, start, end)
        assert got.model_dump(include=set(expected)) == expected
        async with reader.database.reader() as session:
            sales = await ref.raw_product_sales(session, reader.scope.tenant_id, start, end)
        ranked = sorted(sales.items(), key=lambda kv: (kv[1][0], kv[0]), reverse=True)
        assert [(p.id, p.revenue, p.units, p.orders) for p in got.top_products] == [
            (pid, from_minor(a), u, o) for pid, (a, u, o) in ranked[:3]
        ]
        for point in got.trend:
            assert point.model_dump(exclude={"date"}) == ref.daily(orders, point.date)
        for granularity in ("day", "week", "month"):
            series = await reader.revenue(w, granularity)
            buckets = ref.revenue_buckets(orders, start, end, granularity)
            for point in series.data:
                if point.period in buckets:
                    expected_point = buckets[point.period]
                    assert point.model_dump(exclude={"period", "customers"}) == expected_point
                else:
                    assert point.transactions == 0 and point.revenue == 0
                if granularity == "day":
                    assert point.customers == ref.daily(orders, point.period)["customers"]
            assert set(buckets) <= {p.period for p in series.data}


async def _check_customers(reader: Reader, orders: list[ref.RawOrder], ids: dict[str, int]) -> None:
    expected = ref.customers(orders)
    for field, value in (("ltv", "ltv"), ("orders", "orders"), ("last_order", "last")):
        for descending in (True, False):
            got = await reader.all_customers(SortKey(field, descending))
            order_key = sorted(
                expected.values(),
                key=lambda c: (getattr(c, value), ids[c.id]),
                reverse=descending,
            )
            assert [(c.id, c.ltv, c.orders, c.first_order_at, c.last_order_at) for c in got] == [
                (c.id, from_minor(c.ltv), c.orders, c.first, c.last) for c in order_key
            ]
    for customer_id in ("c1", "c2", "c3", "c4", "c5"):
        if customer_id not in ids:
            continue
        detail = await reader.customer(customer_id)
        mine = [o for o in orders if o.customer == customer_id]
        assert detail.orders_by_status.model_dump() == {
            s: sum(1 for o in mine if o.status == s) for s in STATUSES
        }
        stats = expected.get(customer_id)
        assert detail.orders == (stats.orders if stats else 0)
        assert detail.ltv == from_minor(stats.ltv if stats else 0)


async def _check_products(reader: Reader) -> None:
    for w in (None, *WINDOWS):
        days = (w.start.date(), w.end.date()) if w else (None, None)
        async with reader.database.reader() as session:
            sales = await ref.raw_product_sales(session, reader.scope.tenant_id, *days)
        sales = {p: s for p, s in sales.items() if s != (0, 0, 0)}
        for field, position in (("revenue", 0), ("units", 1)):
            got = await reader.all_products(SortKey(field, True), w)
            ranked = sorted(
                sales.items(),
                key=lambda kv: (kv[1][position], kv[0]),
                reverse=True,
            )
            assert [(p.id, p.revenue, p.units, p.orders) for p in got] == [
                (pid, from_minor(a), u, o) for pid, (a, u, o) in ranked
            ]


async def _check_product_rollups(reader: Reader) -> None:
    """Each stored product day holds that day's sales and the running totals through it, and
    each product's all-time figures (gross included) equal a recount."""
    async with reader.database.reader() as session:
        assert await ref.product_day_errors(session, reader.scope.tenant_id) == []
        assert await ref.product_stats_errors(session, reader.scope.tenant_id) == []


async def _check_cohorts_and_rfm(reader: Reader, orders: list[ref.RawOrder]) -> None:
    for w in WINDOWS:
        got = await reader.cohorts(w)
        matrix = ref.cohort_matrix(orders, w.start.date().replace(day=1), w.end.date())
        matrix = {m: row for m, row in matrix.items() if m >= w.start.date()}
        assert {row.cohort: row.active for row in got.data} == matrix
        for row in got.data:
            assert row.customers == row.active[0]
        answer = await reader.rfm(w)
        expected = ref.rfm_segments(orders, w.start, w.end)
        assert answer.customers == expected["customers"]
        assert answer.repeat_purchase_rate == expected["repeat_purchase_rate"]
        for segment in answer.segments:
            count, revenue, share = expected["segments"].get(
                segment.segment, (0, from_minor(0), segment.share)
            )
            assert (segment.customers, segment.revenue, segment.share) == (count, revenue, share)


CSV_HEADER = ("order_id", "customer_id", "placed_at", "status", "product_id", "quantity",
              "unit_price")  # fmt: skip


async def _import_as_file(
    database: Database, tenant_id: int, orders: list[dict[str, Any]], folder: Path
) -> None:
    """The orders as one CSV file (a line per order line), imported in batches of two."""
    path = folder / f"{uuid.uuid4().hex}.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for sent in orders:
            for item in sent["lines"]:
                writer.writerow((sent["id"], sent["customer_id"] or "", sent["placed_at"],
                                 sent["status"], item["product_id"], item["quantity"],
                                 item["unit_price"]))  # fmt: skip
    plan = ImportPlan(path, FileFormat.CSV, ColumnMap.build(None, {}), batch_orders=2)
    await import_file(database, tenant_id, plan, default_currency="USD")


async def _answers(reader: Reader) -> list[Any]:
    """Every read answer, keyed by external ids only (internal ids differ between tenants)."""
    answers: list[Any] = []
    for w in (None, *WINDOWS):
        answers.append(
            [p.model_dump() for p in await reader.all_products(SortKey("revenue", True), w)]
        )
    for w in WINDOWS:
        answers += [
            (await reader.dashboard(w, top=3)).model_dump(),
            (await reader.revenue(w, "day")).model_dump(),
            (await reader.cohorts(w)).model_dump(),
            (await reader.rfm(w)).model_dump(),
        ]
    for field in ("ltv", "orders", "last_order"):
        customers = await reader.all_customers(SortKey(field, True))
        answers.append(sorted((c.model_dump() for c in customers), key=lambda c: str(c["id"])))
    return answers


async def _check_tenant(database: Database, tenant_id: int) -> None:
    async with database.reader() as session:
        orders = await ref.raw_orders(session, tenant_id)
        customer_ids = await _ids(session, "commerce_customers", tenant_id)
    reader = Reader(database, tenant_id)
    await _check_dashboards(reader, orders)
    await _check_customers(reader, orders, customer_ids)
    await _check_products(reader)
    await _check_product_rollups(reader)
    await _check_cohorts_and_rfm(reader, orders)


async def _run(url: str, batches: list[list[tuple[int, dict[str, Any]]]], first_page: int) -> None:
    # Top sellers walk products by gross a page at a time: pages of 1 or 2 take several steps.
    with patch.object(product_reads, "FIRST_GROSS_PAGE", first_page):
        await _ingest_and_check(url, batches)


async def _ingest_and_check(url: str, batches: list[list[tuple[int, dict[str, Any]]]]) -> None:
    async with open_database(url) as database:
        by_api = await new_tenant(database, f"prop-{uuid.uuid4().hex[:10]}")
        by_file = await new_tenant(database, f"prop-{uuid.uuid4().hex[:10]}")
        with tempfile.TemporaryDirectory() as folder:
            for operations in batches:
                orders = [_api_order(n, v) for n, v in operations]
                await ingest(database, by_api, orders)
                await _import_as_file(database, by_file, orders, Path(folder))
        await _check_tenant(database, by_api)
        await _check_tenant(database, by_file)
        assert await _answers(Reader(database, by_file)) == await _answers(Reader(database, by_api))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=history, first_page=first_pages)
def test_rollups_equal_raw_sql_sqlite(sqlite_url: str, batches: Any, first_page: int) -> None:
    asyncio.run(_run(sqlite_url, batches, first_page))


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=history, first_page=first_pages)
def test_rollups_equal_raw_sql_postgres(postgres_url: str, batches: Any, first_page: int) -> None:
    asyncio.run(_run(postgres_url, batches, first_page))

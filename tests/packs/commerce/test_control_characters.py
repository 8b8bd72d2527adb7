"""NUL and other control characters in orders and files: a 422 or a line error on every backend."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.packs.commerce.conftest import Shop
from tests.packs.commerce.support import open_database, order
from vantage.packs.commerce.ingest.files import ImportPlan, detect_format
from vantage.packs.commerce.ingest.rows import ColumnMap, RowError
from vantage.packs.commerce.service.importer import import_file

HEADER = ["order_id", "placed_at", "product_id", "product_name", "quantity", "unit_price"]
GOOD_ROW = ["A1", "2025-03-01T10:00:00Z", "p1", "Mug", "1", "1"]


async def test_orders_with_control_characters_are_422_and_nothing_is_written(shop: Shop) -> None:
    placed = "2025-03-01T10:00:00Z"
    bad_id = order("a\x00b", "c1", placed, "completed", ("p1", 1, "10"))
    bad_name = order("o2", "c1", placed, "completed", ("p1", 1, "10"))
    bad_name["lines"][0]["product_name"] = "Mug\x00"
    bad_customer = order("o3", "c\x1b", placed, "completed", ("p1", 1, "10"))
    response = await shop.post([bad_id, bad_name, bad_customer])
    assert response.status_code == 422, response.text
    assert {tuple(e["loc"]) for e in response.json()["errors"]} == {
        ("body", "orders", 0, "id"),
        ("body", "orders", 1, "lines", 0, "product_name"),
        ("body", "orders", 2, "customer_id"),
    }
    dashboard = (await shop.get("/dashboard?from=2025-01-01&to=2025-12-31")).json()
    assert dashboard["transactions"] == 0
    missing = await shop.get("/customers/c%00")
    assert missing.status_code == 422, missing.text
    assert missing.json()["errors"][0]["loc"] == ["path", "customer_id"]


async def test_a_product_name_keeps_its_tab(shop: Shop) -> None:
    named = order("o1", "c1", "2025-03-01T10:00:00Z", "completed", ("p1", 1, "10"))
    named["lines"][0]["product_name"] = "Mug\tlarge"
    assert (await shop.post([named])).status_code == 200


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (["A\x002", "2025-03-01T10:00:00Z", "p1", "Mug", "1", "1"], "order_id"),
        (["A2", "2025-03-01T10:00:00Z", "p\x001", "Mug", "1", "1"], "product_id"),
        (["A2", "2025-03-01T10:00:00Z", "p1", "Mug\x00", "1", "1"], "product_name"),
    ],
)
async def test_the_importer_names_the_line_of_a_control_character(
    database_url: str, tmp_path: Path, row: list[str], field: str
) -> None:
    path = tmp_path / "orders.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([HEADER, GOOD_ROW, row])
    plan = ImportPlan(path=path, format=detect_format(path), columns=ColumnMap.build(None, {}))
    async with open_database(database_url) as database:
        with pytest.raises(RowError) as raised:
            await import_file(database, 1, plan, default_currency="USD")
    assert (raised.value.line, raised.value.field_name) == (3, field)

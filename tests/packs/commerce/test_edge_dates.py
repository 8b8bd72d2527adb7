"""Dates at the edges of the calendar: reads, ingest and the importer answer 422 or a line error."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.packs.commerce.conftest import Shop
from tests.packs.commerce.support import open_database, order
from vantage.packs.commerce.ingest.files import ImportPlan, detect_format
from vantage.packs.commerce.ingest.rows import ColumnMap, RowError
from vantage.packs.commerce.service.importer import import_file

READS = ["/dashboard", "/revenue?granularity=month", "/customers", "/products", "/cohorts", "/rfm"]
EDGES = ["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+01:00", "9999-12-31", "0001-01-05"]


@pytest.mark.parametrize("path", READS)
async def test_reads_refuse_edge_windows(shop: Shop, path: str) -> None:
    separator = "&" if "?" in path else "?"
    for edge in EDGES:
        for name in ("from", "to"):
            response = await shop.get(f"{path}{separator}{name}={edge.replace('+', '%2B')}")
            assert response.status_code == 422, (edge, name, response.text)
            assert response.json()["errors"][0]["loc"] == ["query", name]
    for widest in ("from=8990-01-02&to=8999-12-31", "from=1000-01-01&to=1010-01-01"):
        response = await shop.get(f"{path}{separator}{widest}")
        assert response.status_code == 200, (widest, response.text)


@pytest.mark.parametrize("placed", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
async def test_an_order_placed_at_the_edge_is_422(shop: Shop, placed: str) -> None:
    good = order("g1", "c1", "2025-03-01T10:00:00Z", "completed", ("p1", 1, "10"))
    edge = order("e1", "c1", placed, "completed", ("p1", 1, "10"))
    response = await shop.post([good, edge])
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "orders", 1, "placed_at"]]
    dashboard = (await shop.get("/dashboard?from=2025-01-01&to=2025-12-31")).json()
    assert dashboard["transactions"] == 0


@pytest.mark.parametrize("placed", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
async def test_the_importer_names_the_line_of_an_edge_date(
    sqlite_url: str, tmp_path: Path, placed: str
) -> None:
    path = tmp_path / "edge.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "placed_at", "product_id", "quantity", "unit_price"])
        writer.writerow(["A1", "2025-03-01T10:00:00Z", "p1", "1", "1"])
        writer.writerow(["A2", placed, "p1", "1", "1"])
    plan = ImportPlan(path=path, format=detect_format(path), columns=ColumnMap.build(None, {}))
    async with open_database(sqlite_url) as database:
        with pytest.raises(RowError) as raised:
            await import_file(database, 1, plan, default_currency="USD")
    assert (raised.value.line, raised.value.field_name) == (3, "placed_at")

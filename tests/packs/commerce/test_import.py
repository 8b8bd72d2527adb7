"""File import: CSV, JSON lines, Parquet, column mapping, the UCI preset, bad lines, the CLI."""

from __future__ import annotations

import csv
import gc
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.packs.commerce.support import Reader, open_database, window
from vantage.cli import build_cli
from vantage.packs.commerce import PACK
from vantage.packs.commerce.ingest.columnar import WHITESPACE
from vantage.packs.commerce.ingest.files import FileFormat, ImportPlan, detect_format
from vantage.packs.commerce.ingest.rows import PRESETS, ColumnMap, RowError
from vantage.packs.commerce.service.importer import IMPORT_GC_THRESHOLDS, import_file

HEADER = ["order_id", "customer_id", "placed_at", "status", "product_id", "product_name",
          "quantity", "unit_price"]  # fmt: skip
ROWS = [
    ["A1", "c1", "2025-03-01T10:00:00Z", "completed", "p1", "Mug", "2", "9.99"],
    ["A1", "c1", "2025-03-01T10:00:00Z", "completed", "p2", "Lamp", "1", "5"],
    ["A2", "c2", "2025-03-02 11:00:00", "pending", "p1", "Mug", "1", "9.99"],
    ["A3", "", "2025-03-02T15:00:00+02:00", "", "p3", "", "4", "2.50"],
    ["A4", "c1", "2025-03-05T09:00:00Z", "completed", "p2", "Lamp", "-1", "5"],
]
MARCH = window(date(2025, 3, 1), date(2025, 4, 1))
# The last row lacks its trailing empty fields: pyarrow refuses it, the row reader does not.
RAGGED = (
    "order_id,placed_at,product_id,quantity,unit_price,customer_id\n"
    "R1,2025-03-01T10:00:00Z,p1,2,9.99,c1\nR2,2025-03-02T10:00:00Z,p2,1,5\n"
)


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _plan(path: Path, **options: object) -> ImportPlan:
    preset = options.pop("preset", None)
    mapping = options.pop("mapping", {})
    columns = ColumnMap.build(PRESETS[preset] if preset else None, mapping)  # type: ignore[index,arg-type]
    return ImportPlan(
        path=path,
        format=detect_format(path),
        columns=columns,
        preset=PRESETS[preset] if preset else None,  # type: ignore[index]
        **options,  # type: ignore[arg-type]
    )


async def _import(url: str, plan: ImportPlan) -> tuple[int, dict[str, Any]]:
    async with open_database(url) as database:
        report = await import_file(database, 1, plan, default_currency="USD")
        dashboard = await Reader(database, 1).dashboard(MARCH)
    return report.orders, dashboard.model_dump(mode="json")


async def test_csv_with_every_kind_of_row(database_url: str, tmp_path: Path) -> None:
    orders, board = await _import(database_url, _plan(_csv(tmp_path / "o.csv", HEADER, ROWS)))
    assert orders == 4
    # A1 24.98 + A3 (guest, no status = completed) 10.00 + A4 return -5.00.
    assert board["revenue"] == "29.98" and board["transactions"] == 4
    assert board["orders_by_status"]["pending"] == 1
    assert [p["id"] for p in board["top_products"]] == ["p1", "p3", "p2"]


async def test_column_mapping(sqlite_url: str, tmp_path: Path) -> None:
    renamed = ["Order", "Client", "When", "State", "Sku", "Title", "Qty", "Price"]
    mapping = dict(zip(HEADER, renamed, strict=True))
    plan = _plan(_csv(tmp_path / "o.csv", renamed, ROWS), mapping=mapping)
    orders, board = await _import(sqlite_url, plan)
    assert orders == 4 and board["revenue"] == "29.98"
    with pytest.raises(ValueError, match="unknown field"):
        ColumnMap.build(None, {"colour": "Colour"})


async def test_uci_online_retail_preset(sqlite_url: str, tmp_path: Path) -> None:
    header = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
              "CustomerID", "Country"]  # fmt: skip
    rows = [
        ["536365", "85123A", "WHITE HANGING HEART", "6", "3/1/2025 8:26", "2.55", "17850.0",
         "United Kingdom"],
        ["536365", "71053", "WHITE METAL LANTERN", "6", "3/1/2025 8:26", "3.39", "17850.0",
         "United Kingdom"],
        ["C536379", "D", "Discount", "-1", "3/1/2025 9:41", "27.50", "14527", "United Kingdom"],
        ["536380", "22961", "JAM JAR", "-2", "3/2/2025 9:41", "1.45", "", "France"],
        ["A563186", "B", "Adjust bad debt", "1", "3/3/2025 14:51", "-11062.06", "", "UK"],
    ]  # fmt: skip
    plan = _plan(_csv(tmp_path / "uci.csv", header, rows), preset="uci-online-retail")
    async with open_database(sqlite_url) as database:
        report = await import_file(database, 1, plan, default_currency="GBP")
        reader = Reader(database, 1)
        board = await reader.dashboard(MARCH)
        customer = await reader.customer("17850")
    assert (report.orders, report.skipped) == (3, 1)
    assert board.orders_by_status.cancelled == 1 and board.orders_by_status.completed == 2
    # 6 x 2.55 + 6 x 3.39 = 35.64; the return on 536380 subtracts 2.90.
    assert str(board.revenue) == "32.74"
    assert customer.country == "United Kingdom" and str(customer.ltv) == "35.64"


async def test_json_lines_orders_and_flat_rows(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "o.jsonl"
    whole = {"id": "J1", "customer_id": "c1", "placed_at": "2025-03-01T10:00:00Z",
             "status": "completed", "lines": [{"product_id": "p1", "quantity": 2,
                                               "unit_price": "9.99"}]}  # fmt: skip
    flat = dict(zip(HEADER, ROWS[2], strict=True)) | {"quantity": 1, "unit_price": 9.99}
    path.write_text(json.dumps(whole) + "\n\n" + json.dumps(flat) + "\n")
    orders, board = await _import(sqlite_url, _plan(path))
    assert orders == 2 and board["revenue"] == "19.98" and board["transactions"] == 2


async def test_parquet(sqlite_url: str, tmp_path: Path) -> None:
    pyarrow = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    columns = list(zip(*ROWS, strict=True))
    table = pyarrow.table(
        {name: list(values) for name, values in zip(HEADER, columns, strict=True)}
    )
    table = table.set_column(6, "quantity", pyarrow.array([int(v) for v in columns[6]]))
    pq.write_table(table, tmp_path / "o.parquet")
    orders, board = await _import(sqlite_url, _plan(tmp_path / "o.parquet"))
    assert orders == 4 and board["revenue"] == "29.98"


async def test_a_bad_line_stops_the_import_before_anything_is_written(
    sqlite_url: str, tmp_path: Path
) -> None:
    rows = [*ROWS[:3], ["A3", "c3", "2025-03-03T10:00:00Z", "completed", "p1", "", "two", "1"],
            *ROWS[4:]]  # fmt: skip
    plan = _plan(_csv(tmp_path / "bad.csv", HEADER, rows), batch_orders=1)
    async with open_database(sqlite_url) as database:
        with pytest.raises(RowError) as raised:
            await import_file(database, 1, plan, default_currency="USD")
        board = await Reader(database, 1).dashboard(MARCH)
    assert raised.value.line == 5 and raised.value.field_name == "quantity"
    assert "line 5, quantity" in str(raised.value)
    # The whole file is checked before its first batch (of one order) is written.
    assert board.transactions == 0 and str(board.revenue) == "0.00"


async def test_collections_are_rarer_during_an_import_and_restored_after_even_on_error(
    sqlite_url: str, tmp_path: Path
) -> None:
    before = gc.get_threshold()
    seen = []
    bad = [*ROWS[:3], ["A3", "c3", "2025-03-03T10:00:00Z", "completed", "p1", "", "two", "1"]]
    good = _plan(_csv(tmp_path / "good.csv", HEADER, ROWS[:3]), batch_orders=1)
    async with open_database(sqlite_url) as database:
        await import_file(
            database, 1, good, default_currency="USD",
            progress=lambda chunk, report: seen.append(gc.get_threshold()),
        )  # fmt: skip
        assert gc.get_threshold() == before
        with pytest.raises(RowError):
            plan = _plan(_csv(tmp_path / "bad.csv", HEADER, bad), batch_orders=1)
            await import_file(database, 1, plan, default_currency="USD")
    assert seen and set(seen) == {IMPORT_GC_THRESHOLDS}
    assert gc.get_threshold() == before != IMPORT_GC_THRESHOLDS


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (["A9", "c1", "yesterday", "completed", "p1", "", "1", "1"], "placed_at"),
        (["A9", "c1", "2025-03-01T10:00:00Z", "shipped", "p1", "", "1", "1"], "status"),
        (["A9", "c1", "2025-03-01T10:00:00Z", "completed", "p1", "", "1", "1.23456"], "unit_price"),
        (["A9", "c1", "2025-03-01T10:00:00Z", "completed", "p1", "", "1", "-1"], "unit_price"),
        (["A9", "c1", "2025-03-01T10:00:00Z", "completed", "", "", "1", "1"], "product_id"),
        (["A1", "c2", "2025-03-01T10:00:00Z", "completed", "p1", "", "1", "1"], "customer_id"),
    ],
)
async def test_bad_values_name_their_line_and_field(
    sqlite_url: str, tmp_path: Path, row: list[str], field: str
) -> None:
    plan = _plan(_csv(tmp_path / "bad.csv", HEADER, [ROWS[0], row]))
    async with open_database(sqlite_url) as database:
        with pytest.raises(RowError) as raised:
            await import_file(database, 1, plan, default_currency="USD")
    assert (raised.value.line, raised.value.field_name) == (3, field)


def test_formats_and_missing_columns(tmp_path: Path) -> None:
    assert detect_format(Path("x.ndjson")) is FileFormat.JSONL
    with pytest.raises(ValueError, match="--format"):
        detect_format(Path("orders.xlsx"))
    with pytest.raises(ValueError, match=r"missing column\(s\): quantity"):
        ColumnMap.build(None, {}).positions(["order_id", "placed_at", "product_id", "unit_price"])


def test_cli_imports_and_reports_bad_lines(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VANTAGE_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("VANTAGE_DATA_DIR", str(tmp_path / "data"))
    cli = build_cli({"commerce": PACK})
    good = _csv(tmp_path / "o.csv", HEADER, ROWS)
    result = CliRunner().invoke(cli, ["import", "orders", str(good), "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "Imported 4 orders (4 new, 0 updated, 5 lines) in 2 batch(es)" in result.output
    bad = _csv(tmp_path / "bad.csv", HEADER, [ROWS[0], ["A9", "c", "x", "", "p", "", "1", "1"]])
    result = CliRunner().invoke(cli, ["import", "orders", str(bad)])
    assert result.exit_code == 1 and "line 3, placed_at" in result.output
    mapped = CliRunner().invoke(cli, ["import", "orders", str(good), "--map", "oops"])
    assert mapped.exit_code == 2
    listing = CliRunner().invoke(cli, ["commerce", "presets"])
    assert "uci-online-retail" in listing.output


def test_columns_are_trimmed_of_exactly_what_str_strip_removes() -> None:
    assert set(WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


async def test_a_ragged_file_is_read_row_by_row(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(RAGGED)
    orders, board = await _import(sqlite_url, _plan(path))
    assert orders == 2 and board["revenue"] == "24.98"


@pytest.mark.parametrize("ragged", [False, True], ids=["columnar", "row reader"])
async def test_a_spreadsheet_csv_with_a_byte_order_mark_imports(
    sqlite_url: str, tmp_path: Path, ragged: bool
) -> None:
    """Spreadsheets save "CSV UTF-8" with a byte-order mark and CRLF line ends."""
    path = _csv(tmp_path / "excel.csv", HEADER, ROWS)
    text = RAGGED if ragged else path.read_text().replace("\r\n", "\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    orders, board = await _import(sqlite_url, _plan(path))
    assert (orders, board["revenue"]) == ((2, "24.98") if ragged else (4, "29.98"))


async def test_later_rows_in_another_currency_name_their_line(
    sqlite_url: str, tmp_path: Path
) -> None:
    header = [*HEADER, "currency"]
    rows = [[*ROWS[0], "usd"], [*ROWS[1], ""], [*ROWS[2], "EUR"]]
    plan = _plan(_csv(tmp_path / "money.csv", header, rows))
    async with open_database(sqlite_url) as database:
        with pytest.raises(RowError) as raised:
            await import_file(database, 1, plan, default_currency="USD")
    assert (raised.value.line, raised.value.field_name) == (4, "currency")
    assert raised.value.message == "is EUR, earlier rows are USD"


async def test_a_file_resending_stored_orders_updates_them(
    database_url: str, tmp_path: Path
) -> None:
    first = _plan(_csv(tmp_path / "first.csv", HEADER, ROWS))
    cancelled = [[*row[:3], "cancelled", *row[4:]] for row in ROWS[:2]]
    again = _plan(_csv(tmp_path / "again.csv", HEADER, [*cancelled, ["A5", *ROWS[0][1:]]]))
    async with open_database(database_url) as database:
        await import_file(database, 1, first, default_currency="USD")
        report = await import_file(database, 1, again, default_currency="USD")
        board = await Reader(database, 1).dashboard(MARCH)
    assert (report.orders, report.created, report.updated) == (2, 1, 1)
    # A1 is cancelled now; A5 (one line of 2 x 9.99) is new.
    assert board.orders_by_status.cancelled == 1 and str(board.revenue) == "24.98"

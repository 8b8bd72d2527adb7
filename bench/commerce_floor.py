"""The floor under the commerce file import on this machine: reading the same file, and
writing its orders and lines alone into the real (migrated, SQLite) tables in the same batches.

No staging, no rollups, no re-send handling: dimension ids are assigned in Python and every
order is taken as new, one ``executemany`` per table and batch, with the pragmas the application
uses. What the real import costs above this is the price of keeping every rollup exact in the
same transaction. Used by ``bench.commerce`` (SQLite only).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from vantage.core import migrations
from vantage.core.db import SQLITE_MMAP_BYTES, utcnow
from vantage.core.dialect import Dialect
from vantage.packs.commerce.ingest.batch import (
    AMOUNT,
    CUSTOMER,
    LINE_COUNT,
    PLACED_AT,
    SOURCE_ID,
    STATUS,
    UNITS,
    OrderBatch,
)
from vantage.packs.commerce.ingest.files import ImportPlan, iter_batches
from vantage.packs.commerce.repository.writer import SQLITE_WRITER_CACHE_KIB

SQLITE = Dialect("sqlite")
PRAGMAS = (
    "foreign_keys=ON",
    "journal_mode=WAL",
    "synchronous=NORMAL",
    f"mmap_size={SQLITE_MMAP_BYTES}",
    f"cache_size=-{SQLITE_WRITER_CACHE_KIB}",
)


class _Ids:
    """External id -> row id, assigned here for the ids a batch names first."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def new_rows(self, named: dict[str, Any]) -> list[tuple[int, str, Any]]:
        rows = []
        for ext, value in named.items():
            if ext not in self.ids:
                self.ids[ext] = len(self.ids) + 1
                rows.append((self.ids[ext], ext, value))
        return rows


def _write_dimensions(
    db: sqlite3.Connection, batch: OrderBatch, customers: _Ids, products: _Ids, stamp: str
) -> None:
    db.executemany(
        "INSERT INTO commerce_customers (id, tenant_id, external_id, name, country, created_at,"
        " updated_at) VALUES (?, 1, ?, ?, ?, ?, ?)",
        [(i, ext, name, country, stamp, stamp)
         for i, ext, (name, country) in customers.new_rows(batch.customers)],
    )  # fmt: skip
    db.executemany(
        "INSERT INTO commerce_products (id, tenant_id, external_id, name, created_at, updated_at)"
        " VALUES (?, 1, ?, ?, ?, ?)",
        [(i, ext, name, stamp, stamp) for i, ext, name in products.new_rows(batch.products)],
    )


def _order_row(
    order_id: int, order: list[object], customer_ids: dict[str, int], stamp: str
) -> tuple[Any, ...]:
    placed = SQLITE.timestamp(order[PLACED_AT])  # type: ignore[arg-type]
    assert isinstance(placed, str)
    customer = order[CUSTOMER]
    return (
        order_id, order[SOURCE_ID], customer_ids[customer] if isinstance(customer, str) else None,
        placed, placed[:10], order[STATUS], order[AMOUNT], order[UNITS], order[LINE_COUNT],
        stamp, stamp,
    )  # fmt: skip


def _write_facts(
    db: sqlite3.Connection, batch: OrderBatch, first_id: int, ids: tuple[_Ids, _Ids], stamp: str
) -> None:
    customers, products = ids
    db.executemany(
        "INSERT INTO commerce_orders (id, tenant_id, source_id, customer_id, placed_at, day,"
        " status, amount_minor, units, line_count, created_at, updated_at)"
        " VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [_order_row(first_id + seq, order, customers.ids, stamp)
         for seq, order in enumerate(batch.orders)],
    )  # fmt: skip
    db.executemany(
        "INSERT INTO commerce_order_lines (order_id, line_no, tenant_id, product_id, quantity,"
        " unit_price_minor, amount_minor) VALUES (?, ?, 1, ?, ?, ?, ?)",
        [(first_id + seq, line_no, products.ids[product], quantity, price, amount)
         for seq, line_no, product, quantity, price, amount in batch.lines],
    )  # fmt: skip


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def facts_only(plan: ImportPlan, workdir: Path) -> dict[str, float]:
    """Orders/s of reading the import's file alone (all of it parsed into batches first), and of
    writing only its facts into a fresh migrated database; an import can beat neither."""
    began = time.perf_counter()
    batches = [chunk.batch for chunk in iter_batches(plan)]
    parse_seconds = time.perf_counter() - began
    orders = sum(len(batch) for batch in batches)
    path = workdir / "commerce-floor.db"
    _remove(path)
    migrations.upgrade(f"sqlite+aiosqlite:///{path}")
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        db.execute(f"PRAGMA {pragma}")
    ids = (_Ids(), _Ids())
    stamp = str(SQLITE.timestamp(utcnow()))
    written = 0
    began = time.perf_counter()
    for batch in batches:
        db.execute("BEGIN IMMEDIATE")
        _write_dimensions(db, batch, *ids, stamp)
        _write_facts(db, batch, written + 1, ids, stamp)
        db.execute("COMMIT")
        written += len(batch)
    write_seconds = time.perf_counter() - began
    db.close()
    _remove(path)
    return {
        "parse_seconds": round(parse_seconds, 1),
        "parse_orders_per_s": round(orders / parse_seconds),
        "write_facts_seconds": round(write_seconds, 1),
        "write_facts_orders_per_s": round(orders / write_seconds),
    }

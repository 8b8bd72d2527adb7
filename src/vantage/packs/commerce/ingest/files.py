"""Stream order files (CSV, JSON lines, Parquet) as batches of whole orders.

A batch is cut only where a new order starts, so an order is never split between two
transactions. Parquet needs the optional ``pyarrow`` dependency (``pip install vantage[parquet]``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from vantage.core.decoded_lines import DecodedLines, UndecodableLine
from vantage.packs.commerce.ingest.batch import OrderBatch
from vantage.packs.commerce.ingest.payload import append_order
from vantage.packs.commerce.ingest.rows import FIELDS, ColumnMap, Preset, RowError, RowReader
from vantage.packs.commerce.schemas import OrderIn

# Orders per transaction of a file import. Each batch costs a few dozen statements whatever
# its size, so larger batches amortise them: at a million orders, 50,000 per batch imports about
# half again as fast as 10,000 (measured with ``python -m bench.commerce``). The API's own bound
# (``max_batch_orders``) is separate.
DEFAULT_IMPORT_BATCH_ORDERS = 50_000


class FileFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    PARQUET = "parquet"


SUFFIXES = {
    ".csv": FileFormat.CSV,
    ".tsv": FileFormat.CSV,
    ".txt": FileFormat.CSV,
    ".jsonl": FileFormat.JSONL,
    ".ndjson": FileFormat.JSONL,
    ".json": FileFormat.JSONL,
    ".parquet": FileFormat.PARQUET,
    ".pq": FileFormat.PARQUET,
}


def detect_format(path: Path, explicit: FileFormat | None = None) -> FileFormat:
    """The format named, or the one the file's suffix implies."""
    if explicit is not None:
        return explicit
    try:
        return SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise ValueError(f"cannot tell the format of {path.name}; pass --format") from None


@dataclass(frozen=True)
class ImportPlan:
    path: Path
    format: FileFormat
    columns: ColumnMap
    preset: Preset | None = None
    timezone: tzinfo = UTC
    batch_orders: int = DEFAULT_IMPORT_BATCH_ORDERS
    encoding: str = "utf-8"
    delimiter: str | None = None
    default_status: str = "completed"


@dataclass(frozen=True)
class Chunk:
    """One batch and how far into the file it reaches (``done`` of ``total`` units)."""

    batch: OrderBatch
    done: int
    total: int
    skipped: int
    currency: str | None


class _Cutter:
    """Feeds rows into batches and hands a batch out when it is full and a new order starts."""

    def __init__(self, reader: RowReader, order_position: int | None, limit: int) -> None:
        self.reader = reader
        self._order_position = order_position
        self._limit = limit
        self.batch = OrderBatch()

    def take_full(self, row: Any) -> OrderBatch | None:
        """The batch, when it is full and ``row`` starts another order (before reading it)."""
        if len(self.batch) >= self._limit and self._starts_new_order(row):
            full, self.batch = self.batch, OrderBatch()
            return full
        return None

    def add(self, row: Any, line: int) -> None:
        self.reader.add(self.batch, row, line)

    def _starts_new_order(self, row: Any) -> bool:
        position = self._order_position
        if position is None or position >= len(row):
            return True
        value = row[position]
        order_id = (value if isinstance(value, str) else str(value)).strip()
        return self.batch.seq_of(order_id) is None


def _row_reader(plan: ImportPlan, positions: dict[str, int | None]) -> RowReader:
    return RowReader(
        positions,
        preset=plan.preset,
        timezone=plan.timezone,
        default_status=plan.default_status,
    )


def _chunk(cutter: _Cutter, batch: OrderBatch, done: int, total: int) -> Chunk:
    reader = cutter.reader
    return Chunk(batch, done, total, reader.skipped, reader.currency)


def _csv_batches(plan: ImportPlan) -> Iterator[Chunk]:
    total = plan.path.stat().st_size
    with plan.path.open("rb") as raw:
        text = DecodedLines(raw, plan.encoding)
        delimiter = plan.delimiter or ("\t" if plan.path.suffix.lower() == ".tsv" else ",")
        rows = csv.reader(text, delimiter=delimiter)
        try:
            header = next(rows)
        except StopIteration:
            return
        except UndecodableLine as error:
            raise RowError(error.line, None, str(error)) from None
        except csv.Error as error:
            raise RowError(rows.line_num, None, f"unreadable: {error}") from None
        try:
            positions = plan.columns.positions(header)
        except ValueError as error:
            raise RowError(1, None, str(error)) from None
        cutter = _Cutter(_row_reader(plan, positions), positions["order_id"], plan.batch_orders)
        try:
            for row in rows:
                if not row:
                    continue
                full = cutter.take_full(row)
                if full is not None:
                    yield _chunk(cutter, full, raw.tell(), total)
                cutter.add(row, rows.line_num)
        except UndecodableLine as error:
            raise RowError(error.line, None, str(error)) from None
        except csv.Error as error:  # the line that failed has been read: line_num is its own
            raise RowError(rows.line_num, None, f"unreadable: {error}") from None
        if len(cutter.batch):
            yield _chunk(cutter, cutter.batch, total, total)


def _jsonl_batches(plan: ImportPlan) -> Iterator[Chunk]:
    total = plan.path.stat().st_size
    names = [plan.columns.columns.get(name, name) for name in FIELDS]
    positions: dict[str, int | None] = {name: i for i, name in enumerate(FIELDS)}
    cutter = _Cutter(_row_reader(plan, positions), positions["order_id"], plan.batch_orders)
    with plan.path.open("rb") as raw:
        for line_no, line in enumerate(raw, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                raise RowError(line_no, None, f"not a JSON object: {error}") from None
            if not isinstance(record, dict):
                raise RowError(line_no, None, "not a JSON object")
            if "lines" in record:
                # A whole order in the API's shape.
                try:
                    order = OrderIn.model_validate(record)
                except ValidationError as error:
                    first = error.errors()[0]
                    field = ".".join(str(part) for part in first["loc"])
                    raise RowError(line_no, field, first["msg"]) from None
                if len(cutter.batch) >= plan.batch_orders:
                    yield _chunk(cutter, cutter.batch, raw.tell(), total)
                    cutter.batch = OrderBatch()
                if cutter.batch.seq_of(order.id) is not None:
                    raise RowError(line_no, "id", f"order {order.id!r} appears twice")
                if order.currency:
                    cutter.reader.note_currency(order.currency, line_no)
                append_order(cutter.batch, order)
                continue
            row = [record.get(name) for name in names]
            full = cutter.take_full(row)
            if full is not None:
                yield _chunk(cutter, full, raw.tell(), total)
            cutter.add(row, line_no)
    if len(cutter.batch):
        yield _chunk(cutter, cutter.batch, total, total)


def _parquet_batches(plan: ImportPlan) -> Iterator[Chunk]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise RowError(0, None, "Parquet needs pyarrow: pip install 'vantage[parquet]'") from None
    parquet = pq.ParquetFile(plan.path)
    header = list(parquet.schema_arrow.names)
    try:
        positions = plan.columns.positions(header)
    except ValueError as error:
        raise RowError(0, None, str(error)) from None
    total = parquet.metadata.num_rows
    cutter = _Cutter(_row_reader(plan, positions), positions["order_id"], plan.batch_orders)
    record = 0
    for arrow_batch in parquet.iter_batches(batch_size=65_536):
        columns = [column.to_pylist() for column in arrow_batch.columns]
        for row in zip(*columns, strict=True):
            record += 1
            full = cutter.take_full(row)
            if full is not None:
                yield _chunk(cutter, full, record - 1, total)
            cutter.add(row, record)
    if len(cutter.batch):
        yield _chunk(cutter, cutter.batch, total, total)


def iter_batches(plan: ImportPlan) -> Iterator[Chunk]:
    """Batches of whole orders; a bad row raises ``RowError`` before its batch is handed out."""
    if plan.format is FileFormat.CSV:
        return _csv_batches(plan)
    if plan.format is FileFormat.JSONL:
        return _jsonl_batches(plan)
    return _parquet_batches(plan)

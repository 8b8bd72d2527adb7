"""Stream order files (CSV, JSON lines, Parquet) as batches of whole orders.

A batch is cut only where a new order starts, so an order is never split between two
transactions.
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

import pyarrow.parquet as pq
from pydantic import ValidationError

from vantage.core.decoded_lines import DecodedLines, UndecodableLine
from vantage.packs.commerce.ingest.batch import OrderBatch
from vantage.packs.commerce.ingest.columnar import validate
from vantage.packs.commerce.ingest.columns import (
    TextTable,
    csv_delimiter,
    line_of,
    read_csv,
    read_parquet,
)
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


def _first_bad_row(plan: ImportPlan, source: TextTable, positions: dict[str, int | None],
                   index: int) -> RowError:  # fmt: skip
    """The row reader's error for record ``index``, read after the earlier rows it depends on:
    the first row naming a currency, and the first row of the same order."""
    reader = _row_reader(plan, positions)
    batch = OrderBatch()
    row = source.row(index)
    context: list[int] = []
    order_ids = _column(source, positions["order_id"], index)
    currencies = _column(source, positions["currency"], index)
    skip = plan.preset.skip if plan.preset else None
    live = [i for i, named in enumerate(order_ids) if not (skip and named and skip(named))]
    context += [i for i in live if currencies[i]][:1]
    context += [i for i in live if order_ids[i] == _value_at(row, positions["order_id"])][:1]
    for earlier in sorted(set(context)):
        reader.add(batch, source.row(earlier), 0)
    line = line_of(source, plan.path, plan.encoding, index)
    try:
        reader.add(batch, row, line)
    except RowError as error:
        return error
    return RowError(line, None, "could not be read")


def _column(source: TextTable, position: int | None, end: int) -> list[str | None]:
    """The stripped values of one column before record ``end``."""
    if position is None:
        return [None] * end
    values = source.table.column(position).slice(0, end).to_pylist()
    return [str(v).strip() or None if v is not None else None for v in values]


def _value_at(row: list[Any], position: int | None) -> str | None:
    if position is None or position >= len(row) or row[position] is None:
        return None
    return str(row[position]).strip() or None


def _text_table(plan: ImportPlan) -> TextTable | None:
    if plan.format is FileFormat.PARQUET:
        return read_parquet(plan.path)
    if plan.format is FileFormat.CSV:
        delimiter = csv_delimiter(plan.path.suffix, plan.delimiter)
        return read_csv(plan.path, plan.encoding, delimiter, plan.path.stat().st_size)
    return None


@dataclass(frozen=True)
class CheckedFile:
    """A file whose every row passed: its batches, and how many orders they hold."""

    chunks: Iterator[Chunk]
    orders: int


def _columnar_chunks(plan: ImportPlan, source: TextTable) -> CheckedFile:
    try:
        positions = plan.columns.positions(source.header)
    except ValueError as error:
        raise RowError(0 if source.csv_delimiter is None else 1, None, str(error)) from None
    parsed = validate(source, positions, _row_reader(plan, positions))
    if isinstance(parsed, int):
        raise _first_bad_row(plan, source, positions, parsed)
    chunks = (
        Chunk(batch, done, parsed.total, parsed.skipped, parsed.currency)
        for batch, done in parsed.batches(plan.batch_orders)
    )
    return CheckedFile(chunks, len(parsed))


def read_whole_file(plan: ImportPlan) -> CheckedFile:
    """Validate the whole file (raising ``RowError`` for its first bad row), then hand out its
    batches of whole orders. CSV and Parquet are read as columns; JSON lines, and CSV files
    only the row reader can read, row by row."""
    source = _text_table(plan)
    if source is not None:
        return _columnar_chunks(plan, source)
    chunks = list(iter_batches(plan))
    return CheckedFile(iter(chunks), sum(len(chunk.batch) for chunk in chunks))

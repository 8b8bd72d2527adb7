"""Read a whole CSV or Parquet file as columns (pyarrow), every value as text.

A CSV file pyarrow cannot read as a rectangle of text (ragged rows, bytes invalid in the
encoding, an empty file) is left to the row reader, which reads what it can and names the line
of what it cannot. Line numbers are needed only to report a bad row, so they are counted then.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from vantage.core.decoded_lines import DecodedLines
from vantage.packs.commerce.ingest.rows import RowError

# Bytes pyarrow reads per block; larger blocks mean fewer, longer parallel tasks.
CSV_BLOCK_BYTES = 16 << 20


@dataclass(frozen=True)
class TextTable:
    """The file's records as text columns in header order, and where they came from."""

    table: pa.Table
    header: list[str]
    csv_delimiter: str | None
    total: int  # progress units of the whole file: bytes of a CSV file, records of Parquet

    def row(self, index: int) -> list[Any]:
        """Record ``index`` (0-based) as the row reader takes it."""
        return [column[index].as_py() for column in self.table.columns]


def csv_delimiter(path_suffix: str, explicit: str | None) -> str:
    return explicit or ("\t" if path_suffix.lower() == ".tsv" else ",")


def read_csv(path: Any, encoding: str, delimiter: str, size: int) -> TextTable | None:
    """The CSV file as text columns, or None when only the row reader can read it."""
    try:
        with path.open("rb") as raw:
            header = next(csv.reader(DecodedLines(raw, encoding), delimiter=delimiter))
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding=encoding, block_size=CSV_BLOCK_BYTES, column_names=header, skip_rows=1
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
            ),
        )
    except (StopIteration, pa.ArrowException, UnicodeError, LookupError, csv.Error):
        return None
    if _has_overlong_field(table):
        return None  # the row reader refuses it, naming its line, as every CSV import does
    return TextTable(table, header, delimiter, size)


def _has_overlong_field(table: pa.Table) -> bool:
    """Whether a value is longer than the csv module reads (its field limit, in characters)."""
    limit = csv.field_size_limit()
    for column in table.columns:
        longest = pc.max(pc.utf8_length(column)).as_py()
        if longest is not None and longest > limit:
            return True
    return False


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value if isinstance(value, str) else str(value)


def read_parquet(path: Any) -> TextTable:
    """The Parquet file with every column as text (the row reader's reading of each value)."""
    table = pq.read_table(path)
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            columns.append(column.cast(pa.string()))
        else:
            columns.append(pa.array([_as_text(v) for v in column.to_pylist()], pa.string()))
    text = pa.table(columns, names=[f"c{i}" for i in range(len(columns))])
    return TextTable(text, list(table.column_names), None, table.num_rows)


def line_of(source: TextTable, path: Any, encoding: str, index: int) -> int:
    """The line (CSV, where a record ends) or record number (Parquet) of record ``index``."""
    if source.csv_delimiter is None:
        return index + 1
    with path.open("rb") as raw:
        rows = csv.reader(DecodedLines(raw, encoding), delimiter=source.csv_delimiter)
        next(rows)
        seen = -1
        for row in rows:
            if row:
                seen += 1
                if seen == index:
                    return rows.line_num
    raise RowError(0, None, f"record {index + 1} could not be found again")

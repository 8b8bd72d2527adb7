"""Validate a file's text columns all at once and cut them into batches of whole orders.

Every check runs over whole columns: control characters, empty and over-long ids by pyarrow's
string kernels; quantities, prices, statuses, customers and currencies once per distinct value
with the row reader's own rules; timestamps in the ISO shape by pyarrow's cast (range-checked,
normalised to UTC), any other shape once per distinct value. Rows of one order id form one
order. The first bad row is then re-read by the row reader, which raises the error a row-by-row
read would have raised there, with its line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vantage.core.instants import EARLIEST, LATEST
from vantage.packs.commerce.ingest.batch import OrderBatch
from vantage.packs.commerce.ingest.columns import TextTable
from vantage.packs.commerce.ingest.rows import (
    MAX_ID,
    NAMES,
    RowReader,
    currency_code,
    parse_price,
    parse_quantity,
)

LINE_CONTROL = r"[\x{00}-\x{1f}]"
TEXT_CONTROL = r"[\x{00}-\x{08}\x{0b}\x{0c}\x{0e}-\x{1f}]"
ISO_ZONED = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$"
ISO_NAIVE = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?$"
UTC_MICROS = pa.timestamp("us", tz="UTC")


# What ``str.strip`` removes (every character whose ``isspace()`` is true), so that trimming a
# column trims exactly like the row reader.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _trimmed(column: pa.Array) -> pa.Array:
    """Values stripped of whitespace; empty ones become null."""
    stripped = pc.utf8_trim(column, characters=WHITESPACE)
    return pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), stripped)


def _mask(array: pa.Array) -> np.ndarray[Any, np.dtype[np.bool_]]:
    return np.asarray(array.fill_null(False), dtype=bool)


def _per_distinct(
    values: pa.Array, parse: Callable[[str], Any], kind: pa.DataType
) -> tuple[pa.Array, np.ndarray[Any, np.dtype[np.bool_]]]:
    """``parse`` applied once per distinct value: the results by row, and the rows it refused."""
    encoded = pc.dictionary_encode(values)
    results: list[Any] = []
    refused: list[bool] = []
    for value in encoded.dictionary.to_pylist():
        try:
            results.append(parse(value))
            refused.append(False)
        except ValueError:
            results.append(None)
            refused.append(True)
    indices = encoded.indices
    mapped = pc.take(pa.array(results, kind), indices)
    return mapped, _mask(pc.take(pa.array(refused, pa.bool_()), indices))


@dataclass
class ParsedOrders:
    """A validated file: its orders (in order of first appearance) and their lines, by column."""

    source_ids: list[str]
    customers: list[str | None]
    placed_at: list[Any]
    statuses: list[str]
    customer_names: list[str | None]
    countries: list[str | None]
    # Lines sorted by order, in file order within each; ``starts[k]`` is order k's first line.
    starts: np.ndarray[Any, np.dtype[np.int64]]
    line_products: pa.Array
    line_names: pa.Array
    quantities: np.ndarray[Any, np.dtype[np.int64]]
    prices: np.ndarray[Any, np.dtype[np.int64]]
    skipped: int
    currency: str | None
    total: int

    def __len__(self) -> int:
        return len(self.source_ids)

    def batches(self, limit: int) -> Iterator[tuple[OrderBatch, int]]:
        """Batches of at most ``limit`` whole orders, each with the progress it reaches."""
        lines = len(self.quantities)
        for first in range(0, len(self), limit):
            end = min(first + limit, len(self))
            reached = (
                self.total if end == len(self) else self.total * int(self.starts[end]) // lines
            )
            yield self._batch(first, end), reached

    def _batch(self, first: int, end: int) -> OrderBatch:
        low, high = int(self.starts[first]), int(self.starts[end])
        quantities = self.quantities[low:high]
        prices = self.prices[low:high]
        amounts = quantities * prices
        local_starts = self.starts[first : end + 1] - low
        counts = np.diff(local_starts)
        seqs = np.repeat(np.arange(end - first), counts)
        line_nos = np.arange(high - low) - np.repeat(local_starts[:-1], counts)
        order_amounts = np.add.reduceat(amounts, local_starts[:-1]) if high > low else amounts
        order_units = np.add.reduceat(quantities, local_starts[:-1]) if high > low else quantities
        batch = OrderBatch()
        source_ids = self.source_ids[first:end]
        batch.orders = [
            list(order)
            for order in zip(
                source_ids, self.customers[first:end], self.placed_at[first:end],
                self.statuses[first:end], order_amounts.tolist(), order_units.tolist(),
                counts.tolist(), strict=True,
            )
        ]  # fmt: skip
        batch.seq_by_source_id = dict(zip(source_ids, range(end - first), strict=True))
        products = self.line_products[low:high].to_pylist()
        batch.lines = list(
            zip(seqs.tolist(), line_nos.tolist(), products, quantities.tolist(),
                prices.tolist(), amounts.tolist(), strict=True)
        )  # fmt: skip
        _name_customers(batch, first, end, self)
        _name_products(batch, products, self.line_names[low:high].to_pylist())
        return batch


def _name_customers(batch: OrderBatch, first: int, end: int, parsed: ParsedOrders) -> None:
    """The latest non-empty name and country of each customer win (as ``add_order`` keeps)."""
    named = batch.customers
    for customer, name, country in zip(
        parsed.customers[first:end], parsed.customer_names[first:end],
        parsed.countries[first:end], strict=True,
    ):  # fmt: skip
        if customer is None:
            continue
        known = named.get(customer)
        if known is None:
            named[customer] = (name, country)
        elif name is not None or country is not None:
            named[customer] = (name or known[0], country or known[1])


def _name_products(batch: OrderBatch, products: list[str], names: list[str | None]) -> None:
    named = batch.products
    for product, name in zip(products, names, strict=True):
        if name is not None or product not in named:
            named[product] = name or named.get(product)


class ColumnValidator:
    """Checks every column of a text table against the row reader's rules."""

    def __init__(self, source: TextTable, positions: dict[str, int | None], reader: RowReader):
        self.source = source
        self.reader = reader
        self.rows = source.table.num_rows
        self.bad = np.zeros(self.rows, dtype=bool)
        self._positions = positions
        self._raw = {
            name: source.table.column(at).combine_chunks()
            for name, at in positions.items()
            if at is not None
        }
        self._text = {name: _trimmed(column) for name, column in self._raw.items()}

    def value(self, name: str) -> pa.Array:
        """The field's trimmed values (all null when the file lacks the column)."""
        found = self._text.get(name)
        return found if found is not None else pa.nulls(self.rows, pa.string())

    def refuse(self, rows: np.ndarray[Any, np.dtype[np.bool_]]) -> None:
        self.bad |= rows

    def check_text(self) -> None:
        for name, column in self._raw.items():
            pattern = TEXT_CONTROL if name in NAMES else LINE_CONTROL
            self.refuse(_mask(pc.match_substring_regex(column, pattern)))

    def required_id(self, name: str, live: np.ndarray[Any, np.dtype[np.bool_]]) -> pa.Array:
        values = self.value(name)
        empty = np.asarray(values.is_null(), dtype=bool)
        long = _mask(pc.greater(pc.utf8_length(values), MAX_ID))
        self.refuse(live & (empty | long))
        return values

    def parsed(
        self, name: str, parse: Callable[[str], Any], kind: pa.DataType,
        live: np.ndarray[Any, np.dtype[np.bool_]], *, required: bool,
    ) -> pa.Array:  # fmt: skip
        values = self.value(name)
        mapped, refused = _per_distinct(values, parse, kind)
        if required:
            refused |= np.asarray(values.is_null(), dtype=bool)
        self.refuse(live & refused)
        return mapped

    def placed_at(self, live: np.ndarray[Any, np.dtype[np.bool_]]) -> pa.Array:
        values = self.value("placed_at")
        stamps = pa.nulls(self.rows, UTC_MICROS)
        pending = np.ones(self.rows, dtype=bool)
        naive_is_utc = self.reader.timezone is UTC and self.reader.date_format is None
        shapes = [(ISO_ZONED, UTC_MICROS)]
        if naive_is_utc:
            shapes.append((ISO_NAIVE, pa.timestamp("us")))
        for pattern, kind in shapes:
            matched = _mask(pc.match_substring_regex(values, pattern))
            try:
                cast = pc.cast(pc.if_else(matched, values, None), kind)
            except pa.ArrowInvalid:  # some impossible date among them: each is judged alone
                continue
            cast = pc.cast(cast, pa.int64())
            stamps = pc.if_else(matched, pc.cast(cast, UTC_MICROS), stamps)
            pending &= ~matched
        others = pc.if_else(pending, values, None)
        slow, refused = _per_distinct(others, lambda text: self.reader.parse_time(text, 0),
                                      UTC_MICROS)  # fmt: skip
        stamps = pc.if_else(pending, slow, stamps)
        outside = pc.or_(
            pc.less(stamps, pa.scalar(EARLIEST, UTC_MICROS)),
            pc.greater_equal(stamps, pa.scalar(LATEST, UTC_MICROS)),
        )
        # The row reader judges the others' range itself (a naive time by its wall time).
        empty = np.asarray(values.is_null(), dtype=bool)
        self.refuse(live & (refused | empty | (_mask(outside) & ~pending)))
        return stamps


def _first_rows(seqs: np.ndarray[Any, np.dtype[np.int64]], orders: int) -> np.ndarray[Any, Any]:
    """The position of each order's first row among ``seqs`` (codes in order of appearance)."""
    firsts = np.full(orders, len(seqs), dtype=np.int64)
    np.minimum.at(firsts, seqs, np.arange(len(seqs), dtype=np.int64))
    return firsts


def _differs(values: pa.Array, rows: np.ndarray[Any, Any], firsts: np.ndarray[Any, Any]) -> Any:
    """Rows whose value differs from their order's first row (nulls compare equal)."""
    mine = values.take(pa.array(rows))
    first = values.take(pa.array(firsts))
    same = pc.or_kleene(pc.equal(mine, first), pc.and_(mine.is_null(), first.is_null()))
    return ~np.asarray(same.fill_null(False), dtype=bool)


def validate(source: TextTable, positions: dict[str, int | None], reader: RowReader) -> Any:
    """Check the whole table; returns ``ParsedOrders`` or the index of the first bad row."""
    check = ColumnValidator(source, positions, reader)
    everyone = np.ones(check.rows, dtype=bool)
    check.check_text()
    order_ids = check.required_id("order_id", everyone)
    preset = reader.preset
    live = everyone
    if preset is not None and preset.skip is not None:
        skip = preset.skip
        skipped, _ = _per_distinct(order_ids, skip, pa.bool_())
        live = ~_mask(skipped)
    products = check.required_id("product_id", live)
    quantities = check.parsed("quantity", lambda v: parse_quantity(v, 0), pa.int64(), live,
                              required=True)  # fmt: skip
    prices = check.parsed("unit_price", lambda v: parse_price(v, 0), pa.int64(), live,
                          required=True)  # fmt: skip
    placed = check.placed_at(live)
    customers = check.parsed("customer_id", lambda v: reader.customer_of(v, 0), pa.string(), live,
                             required=False)  # fmt: skip
    statuses = _statuses(check, order_ids, live)
    currency = _currency(check, live)
    rows = np.nonzero(live)[0]
    encoded = pc.dictionary_encode(order_ids.take(pa.array(rows)))
    seqs = np.asarray(encoded.indices.fill_null(0), dtype=np.int64)
    orders = len(encoded.dictionary)
    firsts = rows[_first_rows(seqs, orders)[seqs]] if len(rows) else rows
    for values in (customers, placed, statuses):
        check.bad[rows[_differs(values, rows, firsts)]] = True
    if check.bad.any():
        return int(np.argmax(check.bad))
    return _parsed(source, check, rows, seqs, orders, (customers, placed, statuses),
                   (products, quantities, prices), currency)  # fmt: skip


def _statuses(check: ColumnValidator, order_ids: pa.Array, live: Any) -> pa.Array:
    reader = check.reader
    preset = reader.preset
    texts = check.value("status")
    if preset is None or preset.derive_status is None:
        statuses = check.parsed("status", lambda v: reader.status_of("", v, 0), pa.string(), live,
                                required=False)  # fmt: skip
        return pc.if_else(texts.is_null(), pa.scalar(reader.default_status), statuses)
    # The preset derives a status from the order id; the row's own is the fallback. NUL cannot
    # occur in accepted text, so it marks a missing status inside the joined key.
    keyed = pc.binary_join_element_wise(order_ids, texts.fill_null("\x00"), "\x00")

    def status(key: str) -> str:
        order_id, _, text = key.partition("\x00")
        return reader.status_of(order_id, text if text != "\x00" else None, 0)

    mapped, refused = _per_distinct(keyed, status, pa.string())
    check.refuse(live & refused)
    return mapped


def _currency(check: ColumnValidator, live: Any) -> str | None:
    codes = check.parsed("currency", lambda v: currency_code(v, 0), pa.string(), live,
                         required=False)  # fmt: skip
    present = np.nonzero(live & ~np.asarray(codes.is_null(), dtype=bool))[0]
    if not len(present):
        return None
    first = codes[int(present[0])].as_py()
    differs = _mask(pc.not_equal(codes, first))
    check.refuse(live & differs)
    return str(first) if first is not None else None


def _parsed(
    source: TextTable, check: ColumnValidator, rows: Any, seqs: Any, orders: int,
    per_order: tuple[pa.Array, pa.Array, pa.Array], per_line: tuple[pa.Array, pa.Array, pa.Array],
    currency: str | None,
) -> ParsedOrders:  # fmt: skip
    firsts = rows[_first_rows(seqs, orders)] if len(rows) else rows
    taken = pa.array(firsts, pa.int64())
    customers, placed, statuses = (values.take(taken) for values in per_order)
    order = np.argsort(seqs, kind="stable")
    lines = pa.array(rows[order], pa.int64())
    products, quantities, prices = (values.take(lines) for values in per_line)
    starts = np.searchsorted(seqs[order], np.arange(orders + 1)).astype(np.int64)
    return ParsedOrders(
        source_ids=check.value("order_id").take(taken).to_pylist(),
        customers=customers.to_pylist(),
        # Whole microseconds since the epoch: building the datetimes directly is several times
        # faster than pyarrow's zone-aware conversion.
        placed_at=[
            EPOCH + timedelta(microseconds=us) for us in placed.cast(pa.int64()).to_pylist()
        ],
        statuses=statuses.to_pylist(),
        customer_names=check.value("customer_name").take(taken).to_pylist(),
        countries=check.value("country").take(taken).to_pylist(),
        starts=starts,
        line_products=products,
        line_names=check.value("product_name").take(lines),
        quantities=np.asarray(quantities, dtype=np.int64),
        prices=np.asarray(prices, dtype=np.int64),
        skipped=check.rows - len(rows),
        currency=currency,
        total=source.total,
    )

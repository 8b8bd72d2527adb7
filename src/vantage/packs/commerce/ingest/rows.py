"""Order lines as flat rows (one line per row): column mapping, presets, and row validation.

A flat row names its order; rows of one order share the order's fields and are contiguous in
the file (rows of an order split across batches would be read as a re-send). Every value may
arrive as text (CSV), a JSON scalar or a Parquet value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from vantage.core.instants import OUT_OF_RANGE, in_range
from vantage.core.text import field_problem
from vantage.packs.commerce.domain.money import MAX_UNIT_PRICE_MINOR, MoneyError, parse_price_minor
from vantage.packs.commerce.ingest.batch import STATUSES, OrderBatch

FIELDS = (
    "order_id",
    "customer_id",
    "customer_name",
    "country",
    "placed_at",
    "status",
    "currency",
    "product_id",
    "product_name",
    "quantity",
    "unit_price",
)
NAMES = ("customer_name", "product_name")  # free text: tab and newline are kept
REQUIRED = ("order_id", "placed_at", "product_id", "quantity", "unit_price")
MAX_ID = 128
MAX_QUANTITY = 1_000_000


class RowError(ValueError):
    """A row that cannot be imported; ``line`` is its 1-based line (or record) number."""

    def __init__(self, line: int, field_name: str | None, message: str) -> None:
        where = f"line {line}" + (f", {field_name}" if field_name else "")
        super().__init__(f"{where}: {message}")
        self.line = line
        self.field_name = field_name
        self.message = message


@dataclass(frozen=True)
class Preset:
    """A known file layout: its column names and the rules that turn rows into orders."""

    name: str
    columns: Mapping[str, str]
    date_format: str | None = None
    derive_status: Callable[[str], str | None] | None = None
    skip: Callable[[str], bool] | None = None
    normalize_customer: Callable[[str], str] | None = None
    description: str = ""


def _uci_status(invoice: str) -> str:
    return "cancelled" if invoice.startswith("C") else "completed"


def _uci_customer(value: str) -> str:
    # Spreadsheet exports write the numeric CustomerID as "17850.0".
    return value[:-2] if value.endswith(".0") else value


UCI_ONLINE_RETAIL = Preset(
    name="uci-online-retail",
    columns={
        "order_id": "InvoiceNo",
        "product_id": "StockCode",
        "product_name": "Description",
        "quantity": "Quantity",
        "placed_at": "InvoiceDate",
        "unit_price": "UnitPrice",
        "customer_id": "CustomerID",
        "country": "Country",
    },
    date_format="%m/%d/%Y %H:%M",
    derive_status=_uci_status,
    # "A" invoices are bad-debt adjustments (negative prices), not sales.
    skip=lambda invoice: invoice.startswith("A"),
    normalize_customer=_uci_customer,
    description="UCI Online Retail: InvoiceNo (C prefix = cancellation), StockCode, "
    "Description, Quantity (negative = return), InvoiceDate, UnitPrice, CustomerID, Country",
)
PRESETS = {UCI_ONLINE_RETAIL.name: UCI_ONLINE_RETAIL}


@dataclass
class ColumnMap:
    """Which source column holds each field (fields absent from the source are None)."""

    columns: dict[str, str] = field(default_factory=lambda: {name: name for name in FIELDS})

    @classmethod
    def build(cls, preset: Preset | None, overrides: Mapping[str, str]) -> ColumnMap:
        unknown = sorted(set(overrides) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; fields: {', '.join(FIELDS)}")
        columns = dict(preset.columns) if preset else {name: name for name in FIELDS}
        columns.update(overrides)
        return cls(columns)

    def positions(self, header: list[str]) -> dict[str, int | None]:
        """The position of every field in ``header``; a missing required column is an error."""
        index = {name.strip(): position for position, name in enumerate(header)}
        positions = {name: index.get(self.columns.get(name, "")) for name in FIELDS}
        missing = [f"{n} ({self.columns.get(n, n)})" for n in REQUIRED if positions[n] is None]
        if missing:
            raise ValueError(f"missing column(s): {', '.join(missing)}")
        return positions


def parse_quantity(raw: str, line: int) -> int:
    """A whole number of units within +/-``MAX_QUANTITY`` (``2.0`` is 2)."""
    try:
        quantity = int(raw)
    except ValueError:
        try:
            number = float(raw)
        except ValueError:
            number = float("nan")
        if not number.is_integer():
            raise RowError(line, "quantity", f"is not a whole number: {raw!r}") from None
        quantity = int(number)
    if abs(quantity) > MAX_QUANTITY:
        raise RowError(line, "quantity", f"is beyond +/-{MAX_QUANTITY}")
    return quantity


def parse_price(raw: str, line: int) -> int:
    """A unit price in minor units, between 0 and one billion."""
    try:
        price = parse_price_minor(raw)
    except MoneyError as error:
        raise RowError(line, "unit_price", f"{error}: {raw!r}") from None
    if price < 0 or price > MAX_UNIT_PRICE_MINOR:
        raise RowError(line, "unit_price", f"must be between 0 and 1000000000: {raw!r}")
    return price


def currency_code(currency: str, line: int) -> str:
    """An ISO 4217 code, upper-cased."""
    code = currency.upper()
    if len(code) != 3 or not code.isalpha():
        raise RowError(line, "currency", f"is not an ISO 4217 code: {code!r}")
    return code


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    text = text.strip()
    return text or None


class RowReader:
    """Validates flat rows and appends them to batches, order by order."""

    def __init__(
        self,
        positions: dict[str, int | None],
        *,
        preset: Preset | None = None,
        timezone: tzinfo = UTC,
        default_status: str = "completed",
    ) -> None:
        self._at = positions
        self.preset = preset
        self.timezone = timezone
        self.default_status = default_status
        self._fields = [(name, at) for name, at in positions.items() if at is not None]
        self._preset = preset
        self._timezone = timezone
        self._default_status = default_status
        self._date_format = preset.date_format if preset else None
        self.date_format = self._date_format
        self._last_stamp: tuple[Any, datetime] | None = None
        self.skipped = 0
        self.currency: str | None = None

    def _value(self, row: Any, name: str) -> str | None:
        position = self._at[name]
        if position is None or position >= len(row):
            return None
        return _text(row[position])

    def _required(self, row: Any, name: str, line: int) -> str:
        value = self._value(row, name)
        if value is None:
            raise RowError(line, name, "is empty")
        if name in ("order_id", "product_id") and len(value) > MAX_ID:
            raise RowError(line, name, f"is longer than {MAX_ID} characters")
        return value

    def _placed_at(self, row: Any, line: int) -> datetime:
        position = self._at["placed_at"]
        raw = row[position] if position is not None and position < len(row) else None
        if self._last_stamp is not None and self._last_stamp[0] == raw:
            return self._last_stamp[1]
        stamp = self.parse_time(raw, line)
        self._last_stamp = (raw, stamp)
        return stamp

    def parse_time(self, raw: Any, line: int) -> datetime:
        """An order time in UTC; naive times are in the plan's zone."""
        if isinstance(raw, datetime):
            parsed = raw
        elif isinstance(raw, date):
            parsed = datetime(raw.year, raw.month, raw.day)
        else:
            text = _text(raw)
            if text is None:
                raise RowError(line, "placed_at", "is empty")
            try:
                if self._date_format and not text[:4].isdigit():
                    parsed = datetime.strptime(text, self._date_format)
                else:
                    parsed = datetime.fromisoformat(text)
            except ValueError as error:
                raise RowError(line, "placed_at", f"is not a date and time: {text!r}") from error
        if not in_range(parsed):
            raise RowError(line, "placed_at", OUT_OF_RANGE)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self._timezone)
        return parsed.astimezone(UTC)

    def _status(self, row: Any, order_id: str, line: int) -> str:
        return self.status_of(order_id, self._value(row, "status"), line)

    def status_of(self, order_id: str, status: str | None, line: int) -> str:
        """The preset's status for the order, else the row's (lower-cased), else the default."""
        if self._preset and self._preset.derive_status:
            derived = self._preset.derive_status(order_id)
            if derived:
                return derived
        if status is None:
            return self._default_status
        status = status.lower()
        if status not in STATUSES:
            raise RowError(line, "status", f"must be one of {', '.join(STATUSES)}")
        return status

    def _customer(self, row: Any, line: int) -> str | None:
        return self.customer_of(self._value(row, "customer_id"), line)

    def customer_of(self, customer: str | None, line: int) -> str | None:
        """The customer id as stored (the preset may normalise it)."""
        if customer is not None and self._preset and self._preset.normalize_customer:
            customer = self._preset.normalize_customer(customer)
        if customer is not None and len(customer) > MAX_ID:
            raise RowError(line, "customer_id", f"is longer than {MAX_ID} characters")
        return customer

    def _quantity(self, row: Any, line: int) -> int:
        return parse_quantity(self._required(row, "quantity", line), line)

    def _price(self, row: Any, line: int) -> int:
        return parse_price(self._required(row, "unit_price", line), line)

    def _check_currency(self, row: Any, line: int) -> None:
        currency = self._value(row, "currency")
        if currency is not None:
            self.note_currency(currency, line)

    def note_currency(self, currency: str, line: int) -> None:
        """Every amount of one file is in one currency."""
        currency = currency_code(currency, line)
        if self.currency is None:
            self.currency = currency
        elif currency != self.currency:
            raise RowError(line, "currency", f"is {currency}, earlier rows are {self.currency}")

    def add(self, batch: OrderBatch, row: Any, line: int) -> bool:
        """Validate one row and append it; returns whether it started a new order."""
        refused = field_problem(((n, row[at]) for n, at in self._fields if at < len(row)), NAMES)
        if refused:
            raise RowError(line, *refused)
        order_id = self._required(row, "order_id", line)
        if self._preset and self._preset.skip and self._preset.skip(order_id):
            self.skipped += 1
            return False
        product_id = self._required(row, "product_id", line)
        quantity = self._quantity(row, line)
        price = self._price(row, line)
        placed_at = self._placed_at(row, line)
        customer = self._customer(row, line)
        status = self._status(row, order_id, line)
        if self._at["currency"] is not None:
            self._check_currency(row, line)
        seq = batch.seq_of(order_id)
        started = seq is None
        if seq is None:
            seq = batch.add_order(
                order_id,
                customer,
                placed_at,
                status,
                customer_name=self._value(row, "customer_name"),
                country=self._value(row, "country"),
            )
        else:
            self._check_same_order(batch, seq, order_id, customer, placed_at, status, line)
        batch.add_line(seq, product_id, quantity, price, self._value(row, "product_name"))
        return started

    @staticmethod
    def _check_same_order(
        batch: OrderBatch,
        seq: int,
        order_id: str,
        customer: str | None,
        placed_at: datetime,
        status: str,
        line: int,
    ) -> None:
        first = batch.orders[seq]
        for name, mine, theirs in (
            ("customer_id", customer, first[1]),
            ("placed_at", placed_at, first[2]),
            ("status", status, first[3]),
        ):
            if mine != theirs:
                raise RowError(
                    line, name, f"differs from the first line of order {order_id!r} ({theirs})"
                )

"""The events a trading system sends, and batch parsing that reports errors per event.

One schema serves the HTTP batch, the WebSocket ``publish`` op and the in-process API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass as pydantic_dataclass
from pydantic_core import from_json

from vantage.core.instants import Instant
from vantage.core.openapi_schema import DecimalForms, keys_by_pattern
from vantage.core.text import Text
from vantage.packs.trading.domain.ledger import q10

EventId = Annotated[
    str, Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$", description="Unique id")
]
Symbol = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,31}$")]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/ -]{0,63}$")]
# Amounts keep 10 decimal places (what the database stores): finer input is rounded, not refused,
# because engines often send binary floats such as 101.23000000000001.
MAX_AMOUNT = Decimal("1e17")
# Quote prices and sizes are binary floats, bounded like amounts: a price times a size, and
# their sums in bars and snapshots, then stay finite (1e308 squared is infinity, which no JSON
# answer can carry).
Price = Annotated[float, Field(gt=0, lt=float(MAX_AMOUNT))]
_DIGITS, _PLACES = 17, 10  # below MAX_AMOUNT, and the places kept
Quantity = Annotated[
    Decimal,
    Field(gt=0, lt=MAX_AMOUNT),
    AfterValidator(q10),
    DecimalForms(integer_digits=_DIGITS, places=_PLACES, positive=True),
]
Money = Annotated[
    Decimal,
    Field(ge=0, lt=MAX_AMOUNT),
    AfterValidator(q10),
    DecimalForms(integer_digits=_DIGITS, places=_PLACES),
]
SignedQuantity = Annotated[
    Decimal,
    Field(gt=-MAX_AMOUNT, lt=MAX_AMOUNT),
    AfterValidator(q10),
    DecimalForms(integer_digits=_DIGITS, places=_PLACES, signed=True),
]
OrderPrice = Quantity
Side = Literal["buy", "sell"]
OrderStatus = Literal["submitted", "acknowledged", "filled", "cancelled", "rejected"]
MAX_MAP_ENTRIES = 500
MAX_DETAIL_CHARS = 4000


# Slotted dataclasses rather than models: an event is three objects lighter, which halves the
# garbage collector's work when tens of thousands arrive per second.
_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False)


@pydantic_dataclass(slots=True, frozen=True, kw_only=True, config=_CONFIG)
class _Event:
    id: EventId
    ts: Instant


@pydantic_dataclass(slots=True, frozen=True, kw_only=True, config=_CONFIG)
class Tick(_Event):
    """A quote, and when ``size`` > 0 a trade of ``size`` at ``last``."""

    type: Literal["tick"] = "tick"
    symbol: Symbol
    bid: Price
    ask: Price
    last: Price | None = None
    size: Annotated[float, Field(ge=0, lt=float(MAX_AMOUNT))] = 0.0

    @field_validator("ask")
    @classmethod
    def _not_crossed(cls, ask: float, info: ValidationInfo) -> float:
        bid = info.data.get("bid")
        if bid is not None and ask < bid:
            raise ValueError("crossed quote: ask is below bid")
        return ask

    @field_validator("size")
    @classmethod
    def _trade_has_price(cls, size: float, info: ValidationInfo) -> float:
        if size > 0 and info.data.get("last") is None:
            raise ValueError("a tick with a trade size needs its price in 'last'")
        return size


@pydantic_dataclass(slots=True, frozen=True, kw_only=True, config=_CONFIG)
class OrderEvent(_Event):
    """One step of an order's lifecycle; ``submitted`` carries the order's terms."""

    type: Literal["order"] = "order"
    order_id: EventId
    status: OrderStatus
    strategy: Name | None = None
    symbol: Symbol | None = None
    side: Side | None = None
    qty: Quantity | None = None
    limit_price: OrderPrice | None = None
    decision_price: OrderPrice | None = None
    arrival_mid: OrderPrice | None = None
    reason: Annotated[Text, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _terms_on_submit(self) -> OrderEvent:
        if self.status == "submitted":
            missing = [
                name
                for name in ("strategy", "symbol", "side", "qty")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"a submitted order needs {', '.join(missing)}")
        return self


@pydantic_dataclass(slots=True, frozen=True, kw_only=True, config=_CONFIG)
class FillEvent(_Event):
    """An execution of ``qty`` of an order at ``price``; the event id is the fill id."""

    type: Literal["fill"] = "fill"
    order_id: EventId
    qty: Quantity
    price: OrderPrice
    fee: Money = Decimal(0)
    liquidity: Literal["maker", "taker"] | None = None


@pydantic_dataclass(slots=True, frozen=True, kw_only=True, config=_CONFIG)
class StrategyUpdate(_Event):
    """A strategy's own view: its positions, marks, signals and status."""

    type: Literal["strategy_update"] = "strategy_update"
    strategy: Name
    status: Literal["running", "paused", "stopped"] | None = None
    positions: Annotated[
        dict[Symbol, SignedQuantity],
        Field(max_length=MAX_MAP_ENTRIES, json_schema_extra=keys_by_pattern),
    ] = field(default_factory=dict)
    marks: Annotated[
        dict[Symbol, Price], Field(max_length=MAX_MAP_ENTRIES, json_schema_extra=keys_by_pattern)
    ] = field(default_factory=dict)
    signals: Annotated[
        dict[Name, float], Field(max_length=MAX_MAP_ENTRIES, json_schema_extra=keys_by_pattern)
    ] = field(default_factory=dict)


@pydantic_dataclass(slots=True, frozen=True, kw_only=True, config=_CONFIG)
class LogEvent(_Event):
    """A log line of one component."""

    type: Literal["log"] = "log"
    level: Literal["debug", "info", "warning", "error", "critical"]
    component: Name
    message: Annotated[Text, Field(min_length=1, max_length=MAX_DETAIL_CHARS)]
    fields: Annotated[dict[str, JsonValue], Field(max_length=50)] = field(default_factory=dict)


@pydantic_dataclass(slots=True, frozen=True, kw_only=True, config=_CONFIG)
class Heartbeat(_Event):
    """A component saying it is alive (and how it feels)."""

    type: Literal["heartbeat"] = "heartbeat"
    component: Name
    status: Literal["ok", "degraded", "down"] = "ok"
    interval_seconds: Annotated[float, Field(gt=0, le=3600)] | None = None
    details: Annotated[dict[str, JsonValue], Field(max_length=50)] = field(default_factory=dict)


Event = Annotated[
    Tick | OrderEvent | FillEvent | StrategyUpdate | LogEvent | Heartbeat,
    Field(discriminator="type"),
]
EVENT_TYPES = ("tick", "order", "fill", "strategy_update", "log", "heartbeat")


# The most events one batch may hold (the setting can only lower it). Declared on the schema so
# an oversized batch is refused while it is parsed, before any of its events is validated.
MAX_BATCH_EVENTS = 100_000


class EventBatch(BaseModel):
    """The body of ``POST /api/v1/trading/events``."""

    model_config = ConfigDict(extra="forbid")

    events: list[Event] = Field(max_length=MAX_BATCH_EVENTS)


_EVENT: TypeAdapter[Event] = TypeAdapter(Event)
_BATCH: TypeAdapter[EventBatch] = TypeAdapter(EventBatch)


@dataclass(frozen=True, slots=True)
class EventError:
    """Why the event at ``index`` of a batch was refused."""

    index: int
    event_id: str | None
    loc: list[str | int]
    message: str
    type: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "id": self.event_id,
            "loc": self.loc,
            "message": self.message,
            "type": self.type,
        }


@dataclass
class ParsedBatch:
    """The valid events (with their batch positions) and the errors of the others."""

    events: list[tuple[int, Event]] = field(default_factory=list)
    errors: list[EventError] = field(default_factory=list)


class BatchShapeError(ValueError):
    """The body is not a batch at all (not JSON, no ``events`` list, too many events)."""

    def __init__(self, message: str, loc: list[str | int]) -> None:
        super().__init__(message)
        self.loc = loc


def _event_id_of(item: Any) -> str | None:
    if isinstance(item, dict):
        value = item.get("id")
        return value if isinstance(value, str) else None
    return None


def _strip_tag(loc: tuple[str | int, ...], item: Any, kind: str) -> list[str | int]:
    # Pydantic locates a union member's errors under its tag ("tick", "bid"); callers only
    # care about the field.
    if loc and isinstance(item, dict) and loc[0] == item.get("type"):
        return list(loc[1:])
    if not loc and kind.startswith("union_tag"):
        return ["type"]
    return list(loc)


def _message(text: str) -> str:
    return text.removeprefix("Value error, ")


def validate_event(index: int, item: Any) -> Event | EventError:
    """Validate one raw event; the first error explains a refusal."""
    try:
        return _EVENT.validate_python(item)
    except ValidationError as error:
        first = error.errors(include_url=False, include_context=False)[0]
        kind = str(first["type"])
        loc = _strip_tag(first["loc"], item, kind)
        return EventError(index, _event_id_of(item), loc, _message(str(first["msg"])), kind)


def _too_many(max_events: int) -> BatchShapeError:
    return BatchShapeError(f"a batch holds at most {max_events} events", ["body", "events"])


def parse_items(items: list[Any], max_events: int) -> ParsedBatch:
    """Validate already-decoded events one by one (WebSocket and the slow HTTP path)."""
    if len(items) > max_events:
        raise _too_many(max_events)
    parsed = ParsedBatch()
    for index, item in enumerate(items):
        result = validate_event(index, item)
        if isinstance(result, EventError):
            parsed.errors.append(result)
        else:
            parsed.events.append((index, result))
    return parsed


def parse_body(body: bytes, max_events: int) -> ParsedBatch:
    """Parse an HTTP batch: all of it at once when valid, event by event when not."""
    try:
        batch = _BATCH.validate_json(body)
    except ValidationError as error:
        return _parse_slowly(body, error, max_events)
    if len(batch.events) > max_events:
        raise _too_many(max_events)
    return ParsedBatch(events=list(enumerate(batch.events)))


def _parse_slowly(body: bytes, error: ValidationError, max_events: int) -> ParsedBatch:
    for detail in error.errors(include_url=False, include_context=False):
        loc = detail["loc"]
        if loc == ("events",) and detail["type"] == "too_long":
            raise _too_many(max_events)
        if len(loc) < 2 or loc[0] != "events" or not isinstance(loc[1], int):
            raise BatchShapeError(str(detail["msg"]), ["body", *loc])
    document = from_json(body)
    return parse_items(document["events"], max_events)

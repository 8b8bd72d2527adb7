"""The analytics views queries may read: the only tables AI-written SQL can name.

Each view exposes one table of a pack with stable, analyst-friendly columns and only the
caller's rows (the execution path binds the tenant; see ``repository.views``). Amounts are in
currency units, not the minor units the packs store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["text", "integer", "number", "boolean", "date", "timestamp"]


@dataclass(frozen=True)
class ViewColumn:
    name: str
    type: ColumnType
    description: str


@dataclass(frozen=True)
class AnalyticsView:
    """A view over one pack's tables: its name, columns and the base tables it reads."""

    name: str
    pack: str
    description: str
    columns: tuple[ViewColumn, ...]
    base_tables: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def _columns(*specs: tuple[str, ColumnType, str]) -> tuple[ViewColumn, ...]:
    return tuple(ViewColumn(name, kind, text) for name, kind, text in specs)


COMMERCE_ORDERS = AnalyticsView(
    name="commerce_orders",
    pack="commerce",
    description="One row per order",
    columns=_columns(
        ("order_id", "text", "the sender's order id"),
        ("customer_id", "text", "the sender's customer id (null for guests)"),
        ("placed_at", "timestamp", "when the order was placed (UTC)"),
        ("day", "date", "the UTC day of placed_at"),
        ("status", "text", "completed, pending, cancelled or refunded"),
        ("amount", "number", "order amount in the tenant's currency"),
        ("units", "integer", "units over all lines (returns are negative)"),
        ("line_count", "integer", "number of lines"),
    ),
    base_tables=("commerce_orders", "commerce_customers"),
)

COMMERCE_ORDER_LINES = AnalyticsView(
    name="commerce_order_lines",
    pack="commerce",
    description="One row per order line",
    columns=_columns(
        ("order_id", "text", "the order's id (joins commerce_orders.order_id)"),
        ("line_no", "integer", "position of the line in its order"),
        ("product_id", "text", "the sender's product id"),
        ("quantity", "integer", "units (negative for returns)"),
        ("unit_price", "number", "price of one unit"),
        ("amount", "number", "quantity times unit price"),
    ),
    base_tables=("commerce_order_lines", "commerce_orders", "commerce_products"),
)

COMMERCE_CUSTOMERS = AnalyticsView(
    name="commerce_customers",
    pack="commerce",
    description="One row per customer",
    columns=_columns(
        ("customer_id", "text", "the sender's customer id"),
        ("name", "text", "display name"),
        ("country", "text", "country as sent"),
        ("created_at", "timestamp", "first seen (UTC)"),
    ),
    base_tables=("commerce_customers",),
)

COMMERCE_PRODUCTS = AnalyticsView(
    name="commerce_products",
    pack="commerce",
    description="One row per product",
    columns=_columns(
        ("product_id", "text", "the sender's product id"),
        ("name", "text", "display name"),
        ("created_at", "timestamp", "first seen (UTC)"),
    ),
    base_tables=("commerce_products",),
)

GATEWAY_USAGE = AnalyticsView(
    name="gateway_usage",
    pack="gateway",
    description="One row per LLM request through the gateway",
    columns=_columns(
        ("request_id", "text", "the request's id"),
        ("created_at", "timestamp", "when the request arrived (UTC)"),
        ("user_hash", "text", "keyed hash of the caller's e-mail"),
        ("specialist", "text", "specialist slug (null when a model was named)"),
        ("provider", "text", "provider that answered"),
        ("model", "text", "model that answered"),
        ("endpoint", "text", "chat, stream or openai"),
        ("streamed", "boolean", "whether the answer was streamed"),
        ("input_tokens", "integer", "prompt tokens"),
        ("output_tokens", "integer", "completion tokens"),
        ("cached_tokens", "integer", "prompt tokens served from the provider's cache"),
        ("cost_usd", "number", "cost in USD (null when the model is unpriced)"),
        ("estimated", "boolean", "tokens were estimated, not reported"),
        ("latency_ms", "integer", "total latency"),
        ("ttft_ms", "integer", "time to first token (streams)"),
        ("status", "text", "ok, error, client_disconnect or timeout"),
        ("error_code", "text", "error code when status is not ok"),
        ("attempts", "integer", "provider attempts, fallbacks included"),
        ("session_id", "text", "the caller's session id, when sent"),
    ),
    base_tables=("gateway_usage",),
)

GATEWAY_USAGE_DAILY = AnalyticsView(
    name="gateway_usage_daily",
    pack="gateway",
    description="Usage totals per day, provider, model, specialist and user",
    columns=_columns(
        ("day", "date", "UTC day"),
        ("provider", "text", "provider"),
        ("model", "text", "model"),
        ("specialist", "text", "specialist slug ('' for none)"),
        ("user_hash", "text", "keyed hash of the caller's e-mail ('' for none)"),
        ("requests", "integer", "requests"),
        ("errors", "integer", "requests that failed"),
        ("input_tokens", "integer", "prompt tokens"),
        ("output_tokens", "integer", "completion tokens"),
        ("cached_tokens", "integer", "cached prompt tokens"),
        ("cost_usd", "number", "cost in USD"),
        ("latency_ms_sum", "integer", "sum of latencies (divide by requests for the mean)"),
    ),
    base_tables=("gateway_usage_daily",),
)

DEFAULT_VIEWS = (
    COMMERCE_ORDERS,
    COMMERCE_ORDER_LINES,
    COMMERCE_CUSTOMERS,
    COMMERCE_PRODUCTS,
    GATEWAY_USAGE,
    GATEWAY_USAGE_DAILY,
)


class Catalog(Mapping[str, AnalyticsView]):
    """The views a query may name, by lower-case name."""

    def __init__(self, views: Iterable[AnalyticsView] = DEFAULT_VIEWS) -> None:
        self._views = {view.name.lower(): view for view in views}

    def __getitem__(self, name: str) -> AnalyticsView:
        return self._views[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._views)

    def __len__(self) -> int:
        return len(self._views)

    def columns_of(self, name: str) -> tuple[str, ...] | None:
        """The view's column names, or None when no view has that name."""
        view = self._views.get(name.lower())
        return None if view is None else view.column_names

"""Request and response models of the commerce API. Money is ``Decimal``, sent as a string."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from vantage.core.instants import Instant
from vantage.core.jobs.schemas import JobRead
from vantage.core.openapi_schema import DecimalForms
from vantage.core.pagination import PaginationMeta
from vantage.core.text import Line, Text
from vantage.core.windows import WindowOut
from vantage.packs.commerce.ingest.batch import OrderStatus

ExternalId = Annotated[Line, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Name = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=300)]
# The most orders one batch may hold (the setting can only lower it). Declared on the schema so
# an oversized batch is refused while it is parsed, before any of its orders is validated.
MAX_BATCH_ORDERS = 10_000
MAX_LINES_PER_ORDER = 1_000
MAX_QUANTITY = 1_000_000
MAX_UNIT_PRICE = Decimal(1_000_000_000)


class LineIn(BaseModel):
    """One line: a product, a quantity (negative = returned) and a unit price."""

    model_config = ConfigDict(extra="forbid")

    product_id: ExternalId
    product_name: Name | None = None
    quantity: int = Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY)
    unit_price: Annotated[
        Decimal,
        Field(ge=0, le=MAX_UNIT_PRICE, decimal_places=4),
        DecimalForms(integer_digits=9, places=4, exact=True),
    ]


class OrderIn(BaseModel):
    """An order; ``id`` is the sender's order id, the natural key re-sends are matched on."""

    model_config = ConfigDict(extra="forbid")

    id: ExternalId
    customer_id: ExternalId | None = None
    customer_name: Annotated[Name, StringConstraints(max_length=200)] | None = None
    country: Annotated[Name, StringConstraints(max_length=64)] | None = None
    placed_at: Instant
    status: OrderStatus
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES_PER_ORDER)


class OrderBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    orders: list[OrderIn] = Field(min_length=1, max_length=MAX_BATCH_ORDERS)


class IngestResult(BaseModel):
    accepted: int = Field(description="Orders in the batch")
    created: int = Field(description="Orders seen for the first time")
    updated: int = Field(description="Re-sent orders whose previous version was replaced")
    lines: int
    data_as_of: datetime


class StatusCounts(BaseModel):
    completed: int = 0
    pending: int = 0
    cancelled: int = 0
    refunded: int = 0


class Envelope(BaseModel):
    """What every analytics answer carries."""

    window: WindowOut
    data_as_of: datetime | None = Field(description="Commit time of the latest ingest")
    currency: str


class ProductOut(BaseModel):
    id: str
    name: str | None
    revenue: Decimal
    units: int
    orders: int


class TrendPoint(BaseModel):
    date: date
    revenue: Decimal
    transactions: int
    completed_orders: int
    customers: int = Field(description="Distinct customers with a completed order that day")


class DashboardOut(Envelope):
    revenue: Decimal
    refunds: Decimal = Field(description="Amount of refunded orders (not part of revenue)")
    transactions: int
    orders_by_status: StatusCounts
    aov: Decimal | None = Field(description="revenue / completed orders")
    units: int
    top_products: list[ProductOut]
    trend: list[TrendPoint]


class RevenuePoint(BaseModel):
    period: date = Field(description="First day of the bucket")
    revenue: Decimal
    refunds: Decimal
    orders: int = Field(description="Completed orders")
    transactions: int
    units: int
    aov: Decimal | None
    customers: int | None = Field(
        description="Distinct purchasing customers; daily buckets only (not additive)"
    )


class RevenueOut(Envelope):
    granularity: Literal["day", "week", "month"]
    total_revenue: Decimal
    data: list[RevenuePoint]


class CustomerOut(BaseModel):
    id: str
    name: str | None
    country: str | None
    ltv: Decimal
    orders: int
    aov: Decimal | None
    first_order_at: datetime | None
    last_order_at: datetime | None


class CustomerPage(BaseModel):
    data: list[CustomerOut]
    pagination: PaginationMeta
    window: WindowOut | None = Field(description="Filter on the last purchase, when given")
    data_as_of: datetime | None
    currency: str


class MonthActivity(BaseModel):
    month: date
    orders: int
    revenue: Decimal


class OrderSummary(BaseModel):
    id: str
    placed_at: datetime
    status: OrderStatus
    amount: Decimal
    units: int
    lines: int


class CustomerDetail(CustomerOut):
    orders_by_status: StatusCounts
    refunds: Decimal
    months: list[MonthActivity]
    recent_orders: list[OrderSummary]
    data_as_of: datetime | None
    currency: str


class ProductPage(BaseModel):
    data: list[ProductOut]
    pagination: PaginationMeta
    window: WindowOut | None = Field(description="Sales window; all time when absent")
    data_as_of: datetime | None
    currency: str


class CohortRow(BaseModel):
    cohort: date = Field(description="Month of the customers' first purchase")
    customers: int
    active: list[int] = Field(description="Customers purchasing in month k after the first")
    retention: list[Decimal] = Field(description="active[k] / customers, 4 decimal places")


class CohortsOut(Envelope):
    data: list[CohortRow]


class RfmSegment(BaseModel):
    segment: str
    customers: int
    revenue: Decimal = Field(description="Lifetime value of the segment's customers")
    share: Decimal = Field(description="Share of the customers, 4 decimal places")


class RfmOut(Envelope):
    customers: int
    repeat_purchase_rate: Decimal | None
    segments: list[RfmSegment]


class ImportAccepted(BaseModel):
    """An uploaded file queued for import: follow the job at ``status_url``."""

    job_id: str
    status_url: str = Field(description="Where the job's status, progress and result are read")
    job: JobRead

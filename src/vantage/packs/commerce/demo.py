"""``vantage demo`` for commerce: a realistic, seeded order generator, fed through the real
ingest path (the generator also feeds the benchmarks).

- seasonality: weekday rhythm, a year-end peak with a Black Friday spike, a January lull, growth
  over the period, and evening-heavy hours;
- power-law popularity of products (Zipf) and of customers (early, loyal customers buy again
  far more often), so a few products and customers carry much of the revenue;
- a status mix (mostly completed; recent orders still pending; some cancelled and refunded)
  and returns (negative quantities) on a small share of completed orders.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from vantage.core.packs import DemoContext
from vantage.packs.commerce.ingest.batch import OrderBatch
from vantage.packs.commerce.service.ingest import ingest_batch, resolve_currency
from vantage.packs.commerce.settings import CommerceSettings

ADJECTIVES = (
    "Classic", "Organic", "Vintage", "Compact", "Deluxe", "Rustic", "Modern", "Handmade",
    "Wireless", "Travel", "Ceramic", "Woolen", "Bamboo", "Copper", "Linen", "Glass",
)  # fmt: skip
NOUNS = (
    "Mug", "Lamp", "Backpack", "Notebook", "Candle", "Scarf", "Teapot", "Speaker",
    "Planter", "Blanket", "Bottle", "Clock", "Frame", "Basket", "Kettle", "Tray",
)  # fmt: skip
COUNTRIES = (
    ("United Kingdom", 60), ("Germany", 9), ("France", 8), ("Netherlands", 5), ("Spain", 4),
    ("Ireland", 4), ("Belgium", 3), ("Portugal", 2), ("Sweden", 2), ("Italy", 3),
)  # fmt: skip
WEEKDAY = (0.95, 0.9, 0.95, 1.0, 1.1, 1.2, 1.05)
HOURS = (1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 8, 8, 8, 7, 7, 8, 9, 10, 11, 11, 9, 6, 3)


@dataclass(frozen=True)
class DemoOrder:
    id: str
    customer_id: str | None
    placed_at: datetime
    status: str
    lines: list[tuple[str, int, int]]  # product id, quantity, unit price in minor units


@dataclass
class DemoCatalog:
    products: list[tuple[str, str, int]] = field(default_factory=list)  # id, name, price minor
    customers: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> name, country


def _season(day: date, first: date, span: int) -> float:
    weight = WEEKDAY[day.weekday()] * (1.0 + 0.5 * (day - first).days / max(span, 1))
    if day.month == 12:
        weight *= 1.5 if day.day < 24 else 0.9
    elif day.month == 11:
        weight *= 1.25
        friday = max(d for d in range(22, 29) if date(day.year, 11, d).weekday() == 4)
        if day.day in (friday, friday + 3):
            weight *= 2.5
    elif day.month == 1:
        weight *= 0.8
    return weight


class DemoGenerator:
    """Generates ``orders`` orders over the ``days`` days ending ``end`` (exclusive)."""

    def __init__(
        self,
        *,
        orders: int,
        days: int,
        products: int,
        end: date | None = None,
        seed: int = 7,
        guest_share: float = 0.05,
    ) -> None:
        self.rng = random.Random(seed)
        self.orders = orders
        self.days = days
        self.end = end or datetime.now(UTC).date() + timedelta(days=1)
        self.first = self.end - timedelta(days=days)
        self.guest_share = guest_share
        self.catalog = DemoCatalog()
        self._make_products(products)
        self._hours = list(itertools.accumulate(HOURS))
        self._customers = 0
        self.product_names = {pid: name for pid, name, _ in self.catalog.products}

    def _make_products(self, count: int) -> None:
        rng = self.rng
        names = [f"{a} {n}" for a in ADJECTIVES for n in NOUNS]
        for index in range(count):
            name = names[index % len(names)] + ("" if index < len(names) else f" {index}")
            price = max(99, int(math.exp(rng.gauss(7.2, 0.8))) // 100 * 100 + 99)  # x.99
            self.catalog.products.append((f"SKU-{index + 1:05d}", name, price * 100))
        popularity = [1.0 / (rank + 1) ** 1.1 for rank in range(count)]
        self._product_weights = list(itertools.accumulate(popularity))

    def _per_day(self) -> list[int]:
        weights = [_season(self.first + timedelta(days=d), self.first, self.days)
                   for d in range(self.days)]  # fmt: skip
        total = sum(weights)
        counts = [int(self.orders * w / total) for w in weights]
        for d in range(self.orders - sum(counts)):
            counts[d % self.days] += 1
        return counts

    def _customer(self) -> str | None:
        rng = self.rng
        if rng.random() < self.guest_share:
            return None
        # New customers keep arriving; existing ones are chosen with a strong bias to the
        # earliest (loyal) ones, which gives a long-tailed number of orders per customer.
        if self._customers == 0 or rng.random() < 0.28:
            self._customers += 1
            index = self._customers
            country = rng.choices(COUNTRIES, weights=[w for _, w in COUNTRIES])[0][0]
            self.catalog.customers[f"C{index:07d}"] = (f"Customer {index}", country)
        else:
            index = 1 + int(self._customers * rng.random() ** 2.2)
        return f"C{index:07d}"

    def _status(self, day: date) -> str:
        roll = self.rng.random()
        recent = (self.end - day).days <= 3
        if recent and roll < 0.3:
            return "pending"
        if roll < 0.06:
            return "cancelled"
        if roll < 0.10:
            return "refunded"
        if roll < 0.11:
            return "pending"
        return "completed"

    def _lines(self, status: str) -> list[tuple[str, int, int]]:
        rng = self.rng
        count = min(12, 1 + int(rng.expovariate(0.85)))
        picks = rng.choices(self.catalog.products, cum_weights=self._product_weights, k=count)
        lines = []
        for product_id, _, price in picks:
            roll = rng.random()
            quantity = 1 if roll < 0.7 else 2 if roll < 0.9 else rng.randint(3, 6)
            lines.append((product_id, quantity, price))
        if status == "completed" and rng.random() < 0.02:
            product_id, quantity, price = lines[0]
            lines.append((product_id, -1, price))  # a returned item
        return lines

    def __iter__(self) -> Iterator[DemoOrder]:
        rng = self.rng
        number = 0
        for offset, count in enumerate(self._per_day()):
            day = self.first + timedelta(days=offset)
            midnight = datetime.combine(day, time.min, tzinfo=UTC)
            for _ in range(count):
                number += 1
                hour = rng.choices(range(24), cum_weights=self._hours)[0]
                placed = midnight + timedelta(seconds=hour * 3600 + rng.randrange(3600))
                status = self._status(day)
                yield DemoOrder(
                    f"SO-{number:09d}", self._customer(), placed, status, self._lines(status)
                )


# (orders, days, products) per scale.
SCALES = {
    "small": (20_000, 365, 300),
    "medium": (200_000, 730, 1_500),
    "large": (1_000_000, 730, 3_000),
}
BATCH = 5_000
LATE_REFUND_SHARE = 50  # one completed order in 50 is refunded later (a re-send)


def add_demo_order(batch: OrderBatch, generator: DemoGenerator, order: DemoOrder) -> None:
    """Append a generated order, naming its customer and products."""
    name, country = generator.catalog.customers.get(order.customer_id or "", (None, None))
    seq = batch.add_order(
        order.id, order.customer_id, order.placed_at, order.status,
        customer_name=name, country=country,
    )  # fmt: skip
    names = generator.product_names
    for product_id, quantity, price in order.lines:
        batch.add_line(seq, product_id, quantity, price, names[product_id])


async def load_demo(context: DemoContext) -> str:
    """Load the scale's orders, then re-send some as refunded, as a shop's feed would."""
    orders, days, products = SCALES[context.scale]
    generator = DemoGenerator(orders=orders, days=days, products=products)
    total = generator.orders
    refunds: list[DemoOrder] = []
    batch = OrderBatch()
    done = 0

    async def flush(current: OrderBatch) -> None:
        async with context.database.transaction() as session:
            await resolve_currency(
                session, context.tenant_id, None, CommerceSettings().default_currency
            )
            await ingest_batch(session, context.tenant_id, current)

    for order in generator:
        add_demo_order(batch, generator, order)
        if order.status == "completed" and len(refunds) * LATE_REFUND_SHARE < done:
            refunds.append(order)
        if len(batch) >= BATCH:
            await flush(batch)
            done += len(batch)
            context.progress(done, total + len(refunds))
            batch = OrderBatch()
    if len(batch):
        await flush(batch)
        done += len(batch)
    late = OrderBatch()
    for order in refunds:
        add_demo_order(late, generator, DemoOrder(
            order.id, order.customer_id, order.placed_at, "refunded", order.lines))  # fmt: skip
    if len(late):
        await flush(late)
    context.progress(total + len(refunds), total + len(refunds))
    customers = len(generator.catalog.customers)
    return (
        f"{total:,} orders ({len(refunds):,} refunded later), {customers:,} customers, "
        f"{len(generator.catalog.products):,} products"
    )

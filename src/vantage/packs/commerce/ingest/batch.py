"""The unit of ingest: a batch of orders with their lines, in the columnar shape bulk loads use.

The HTTP API and every file reader build an ``OrderBatch``; the repository stages it and applies
it in one transaction. Building it is the hot loop of a file import, so it stays plain lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class OrderStatus(StrEnum):
    COMPLETED = "completed"
    PENDING = "pending"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


STATUSES: tuple[str, ...] = tuple(status.value for status in OrderStatus)

# Positions in an order row of ``OrderBatch.orders``.
SOURCE_ID, CUSTOMER, PLACED_AT, STATUS, AMOUNT, UNITS, LINE_COUNT = range(7)


@dataclass
class OrderBatch:
    """Orders (row index = sequence number), their lines, and the customers/products named."""

    orders: list[list[object]] = field(default_factory=list)
    lines: list[tuple[int, int, str, int, int, int]] = field(default_factory=list)
    customers: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    products: dict[str, str | None] = field(default_factory=dict)
    seq_by_source_id: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.orders)

    def seq_of(self, source_id: str) -> int | None:
        """The sequence number of an order already in the batch."""
        return self.seq_by_source_id.get(source_id)

    def add_order(
        self,
        source_id: str,
        customer_id: str | None,
        placed_at: datetime,
        status: str,
        *,
        customer_name: str | None = None,
        country: str | None = None,
    ) -> int:
        """Append an order (without lines yet) and return its sequence number."""
        seq = len(self.orders)
        self.orders.append([source_id, customer_id, placed_at, status, 0, 0, 0])
        self.seq_by_source_id[source_id] = seq
        if customer_id is not None:
            known = self.customers.get(customer_id)
            if known is None:
                self.customers[customer_id] = (customer_name, country)
            elif customer_name is not None or country is not None:
                # The latest non-empty name and country of a customer win.
                self.customers[customer_id] = (customer_name or known[0], country or known[1])
        return seq

    def add_line(
        self,
        seq: int,
        product_id: str,
        quantity: int,
        unit_price_minor: int,
        product_name: str | None = None,
    ) -> None:
        """Append a line to order ``seq``; a negative quantity is a return."""
        order = self.orders[seq]
        amount = quantity * unit_price_minor
        line_no = order[LINE_COUNT]
        assert isinstance(line_no, int)
        order[LINE_COUNT] = line_no + 1
        order[AMOUNT] += amount  # type: ignore[operator]
        order[UNITS] += quantity  # type: ignore[operator]
        self.lines.append((seq, line_no, product_id, quantity, unit_price_minor, amount))
        if product_name is not None or product_id not in self.products:
            self.products[product_id] = product_name or self.products.get(product_id)

    def select(self, seqs: list[int]) -> OrderBatch:
        """The orders ``seqs`` (in that order) with their lines, customers and products."""
        chosen = OrderBatch()
        renumbered = {seq: position for position, seq in enumerate(seqs)}
        for seq in seqs:
            order = self.orders[seq]
            chosen.orders.append(list(order))
            chosen.seq_by_source_id[order[SOURCE_ID]] = renumbered[seq]  # type: ignore[index]
            customer = order[CUSTOMER]
            if isinstance(customer, str):
                chosen.customers[customer] = self.customers[customer]
        for seq, line_no, product, quantity, price, amount in self.lines:
            if seq in renumbered:
                chosen.lines.append((renumbered[seq], line_no, product, quantity, price, amount))
                chosen.products[product] = self.products[product]
        return chosen

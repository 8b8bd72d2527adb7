"""Position accounting at average cost, fees in the cost basis (pure, exact Decimal arithmetic).

Opening fills move the average cost and realize nothing; their fee raises a long's basis (or
lowers a short's entry). A fill against the position realizes
``(price - avg_cost) * closed_qty * direction - fee share``, so the realized P&L of a round
trip is its net result after every fee. A fill larger than the position closes it and opens
the remainder the other way, the fee split by quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

QUANTUM = Decimal("1e-10")
ZERO = Decimal(0)


def q10(value: Decimal) -> Decimal:
    """Round to the 10 decimal places the database keeps."""
    return value.quantize(QUANTUM, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class Book:
    """A net position: signed quantity (long > 0) and average cost per unit."""

    qty: Decimal = ZERO
    avg_cost: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO

    def unrealized(self, mark: Decimal) -> Decimal:
        """Mark-to-market P&L of the open quantity (0 when flat)."""
        return q10((mark - self.avg_cost) * self.qty)


@dataclass(frozen=True, slots=True)
class FillResult:
    book: Book
    realized_pnl: Decimal | None  # None for a purely opening fill
    closed_qty: Decimal


def _open(book: Book, direction: int, qty: Decimal, price: Decimal, fee: Decimal) -> Book:
    held = abs(book.qty)
    # A long's basis includes the fee; a short's entry is its proceeds net of the fee.
    basis = book.avg_cost * held + price * qty + direction * fee
    new_held = held + qty
    return Book(
        qty=book.qty + direction * qty,
        avg_cost=q10(basis / new_held),
        realized_pnl=book.realized_pnl,
        fees=book.fees,
    )


def apply_fill(book: Book, side: str, qty: Decimal, price: Decimal, fee: Decimal) -> FillResult:
    """The position after one fill, and the P&L the fill realized."""
    if qty <= 0:
        raise ValueError("fill quantity must be positive")
    direction = 1 if side == "buy" else -1
    fees = book.fees + fee
    if book.qty == 0 or (book.qty > 0) == (direction > 0):
        opened = _open(book, direction, qty, price, fee)
        return FillResult(Book(opened.qty, opened.avg_cost, book.realized_pnl, fees), None, ZERO)

    closing = min(qty, abs(book.qty))
    fee_closing = q10(fee * closing / qty)
    position_sign = 1 if book.qty > 0 else -1
    realized = q10((price - book.avg_cost) * closing * position_sign - fee_closing)
    remaining = book.qty + direction * closing
    total_realized = book.realized_pnl + realized
    opening = qty - closing
    if opening > 0:
        flat = Book(ZERO, ZERO, total_realized, fees)
        opened = _open(flat, direction, opening, price, fee - fee_closing)
        return FillResult(
            Book(opened.qty, opened.avg_cost, total_realized, fees), realized, closing
        )
    avg_cost = book.avg_cost if remaining != 0 else ZERO
    return FillResult(Book(remaining, avg_cost, total_realized, fees), realized, closing)

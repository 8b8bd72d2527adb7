"""Exact money: amounts are stored as integers of 1/10,000 of the currency unit ("minor").

SQLite's NUMERIC is binary floating point, so sums of many prices drift; integers add exactly on
every database and are the fastest thing to aggregate. Four decimal places cover every currency's
minor unit and the sub-cent unit prices some catalogues use. The API speaks ``Decimal`` strings.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

MINOR_PER_UNIT = 10_000
MONEY_PLACES = 4
CENT = Decimal("0.01")
MAX_UNIT_PRICE_MINOR = 1_000_000_000 * MINOR_PER_UNIT  # one billion per unit is plenty


class MoneyError(ValueError):
    """A price that is not a plain decimal number with at most four decimal places."""


def to_minor(value: Decimal | int | str) -> int:
    """Exact minor units of a decimal amount; more than four decimal places is an error."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation as error:
        raise MoneyError("not a decimal number") from error
    if not number.is_finite():
        raise MoneyError("not a finite number")
    scaled = number.scaleb(MONEY_PLACES)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"at most {MONEY_PLACES} decimal places")
    return int(scaled)


def parse_price_minor(text: str) -> int:
    """Fast path of ``to_minor`` for the plain ``123.45`` strings files carry."""
    whole, dot, fraction = text.strip().partition(".")
    if dot and (len(fraction) > MONEY_PLACES or not fraction.isdigit()):
        return to_minor(text)
    try:
        negative = whole.startswith("-")
        units = int(whole) if whole not in ("", "-", "+") else 0
    except ValueError:
        return to_minor(text)
    minor = abs(units) * MINOR_PER_UNIT + (int(fraction.ljust(MONEY_PLACES, "0")) if dot else 0)
    if not whole and not dot:
        raise MoneyError("empty amount")
    return -minor if negative else minor


def from_minor(minor: int) -> Decimal:
    """The ``Decimal`` of an amount: two decimal places, more only when the amount has them."""
    exact = Decimal(minor).scaleb(-MONEY_PLACES)
    cents = exact.quantize(CENT)
    return cents if cents == exact else exact.normalize()


def ratio_money(numerator_minor: int, denominator: int) -> Decimal | None:
    """``numerator / denominator`` as money rounded half-even to cents (None when dividing by 0)."""
    if denominator == 0:
        return None
    exact = Decimal(numerator_minor).scaleb(-MONEY_PLACES) / Decimal(denominator)
    return exact.quantize(CENT, rounding=ROUND_HALF_EVEN)

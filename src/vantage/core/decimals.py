"""Decimals written to JSON in plain digits.

``str(Decimal)`` switches to exponent form for zero or small amounts held to many places
(``0E-9``, ``1E-7``), which people reading a response and many clients do not expect; a
``PlainDecimal`` field is written ``0.000000000`` and ``0.0000001`` instead.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer


def plain_digits(value: Decimal) -> str:
    """Positional notation, every place the value holds kept: ``0E-9`` -> ``0.000000000``."""
    return format(value, "f")


PlainDecimal = Annotated[Decimal, PlainSerializer(plain_digits, return_type=str, when_used="json")]

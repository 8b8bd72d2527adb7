"""``?sort=-revenue,name`` against an allowlist per endpoint."""

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import permutations, product
from typing import Annotated, Any

from fastapi import Depends, Query

from vantage.core.errors import ValidationFailed
from vantage.core.openapi_schema import Documented

SORT_LOC = ("query", "sort")
# Up to this many accepted expressions are listed as an enum; beyond, a pattern describes them.
MAX_LISTED_EXPRESSIONS = 200


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool

    def __str__(self) -> str:
        return f"-{self.field}" if self.descending else self.field


def parse_sort(raw: str, allowed: Sequence[str], max_keys: int | None = None) -> list[SortKey]:
    """Parse a sort expression; an unknown or repeated field is a 422 naming the allowed ones."""
    keys: list[SortKey] = []
    for part in (piece.strip() for piece in raw.split(",")):
        if not part:
            raise ValidationFailed.field(SORT_LOC, "empty sort field")
        descending = part.startswith("-")
        name = part.lstrip("+-")
        if name not in allowed:
            raise ValidationFailed.field(
                SORT_LOC, f"cannot sort by {name!r}; allowed: {', '.join(allowed)}"
            )
        if any(key.field == name for key in keys):
            raise ValidationFailed.field(SORT_LOC, f"{name!r} appears more than once")
        keys.append(SortKey(name, descending))
    if max_keys is not None and len(keys) > max_keys:
        raise ValidationFailed.field(SORT_LOC, _at_most(max_keys))
    return keys


def _at_most(max_keys: int) -> str:
    return "sort by exactly one field" if max_keys == 1 else f"sort by at most {max_keys} fields"


def _expressions(allowed: Sequence[str], max_keys: int) -> Iterator[str]:
    for count in range(1, max_keys + 1):
        for fields in permutations(allowed, count):
            for signs in product(("", "-"), repeat=count):
                yield ",".join(sign + field for sign, field in zip(signs, fields, strict=True))


def _accepted(allowed: Sequence[str], max_keys: int | None) -> Documented:
    """The expressions ``parse_sort`` accepts, as JSON Schema.

    Listed in full while they are few. Past that a pattern describes them; that no field comes
    twice is then a rule only the 422 states.
    """
    most = min(max_keys or len(allowed), len(allowed))
    expressions = []
    for expression in _expressions(allowed, most):
        expressions.append(expression)
        if len(expressions) > MAX_LISTED_EXPRESSIONS:
            field = f"-?(?:{'|'.join(map(re.escape, allowed))})"
            return Documented(pattern=f"^{field}(?:,{field}){{0,{most - 1}}}$")
    return Documented(enum=expressions)


def sort_param(allowed: Sequence[str], default: str, *, max_keys: int | None = None) -> Any:
    """A dependency that reads ``?sort=`` for one endpoint's allowlist, of up to ``max_keys``."""
    allowed = tuple(allowed)
    parse_sort(default, allowed, max_keys)  # a wrong default is a programming error: fail now
    description = f"Comma-separated fields, `-` for descending. Allowed: {', '.join(allowed)}"
    if max_keys == 1:
        description = f"A field, `-` for descending. Allowed: {', '.join(allowed)}"
    expression = Annotated[str, _accepted(allowed, max_keys)]

    async def dependency(
        sort: Annotated[expression, Query(max_length=200, description=description)] = default,
    ) -> list[SortKey]:
        return parse_sort(sort, allowed, max_keys)

    return Depends(dependency)

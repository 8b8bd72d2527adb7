"""``?sort=-revenue,name`` against an allowlist per endpoint."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query

from vantage.core.errors import ValidationFailed

SORT_LOC = ("query", "sort")


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool

    def __str__(self) -> str:
        return f"-{self.field}" if self.descending else self.field


def parse_sort(raw: str, allowed: Sequence[str]) -> list[SortKey]:
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
    return keys


def sort_param(allowed: Sequence[str], default: str) -> Any:
    """A dependency that reads ``?sort=`` for one endpoint's allowlist."""
    allowed = tuple(allowed)
    parse_sort(default, allowed)  # a wrong default is a programming error: fail at import
    description = f"Comma-separated fields, `-` for descending. Allowed: {', '.join(allowed)}"

    async def dependency(
        sort: Annotated[str, Query(max_length=200, description=description)] = default,
    ) -> list[SortKey]:
        return parse_sort(sort, allowed)

    return Depends(dependency)

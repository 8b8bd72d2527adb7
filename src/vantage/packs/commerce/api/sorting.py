"""The one-key sort the commerce lists accept."""

from __future__ import annotations

from vantage.core.errors import ValidationFailed
from vantage.core.sorting import SortKey


def single_sort_key(keys: list[SortKey]) -> SortKey:
    """The only sort key of the request; more than one is a validation error."""
    if len(keys) != 1:
        raise ValidationFailed.field(("query", "sort"), "sort by exactly one field")
    return keys[0]

"""The one-key sort the commerce lists accept."""

from __future__ import annotations

from vantage.core.sorting import SortKey


def single_sort_key(keys: list[SortKey]) -> SortKey:
    """The only sort key of the request (``sort_param(..., max_keys=1)`` refuses more)."""
    return keys[0]

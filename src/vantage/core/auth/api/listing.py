"""What the admin lists share."""

from __future__ import annotations

from vantage.core.errors import ValidationFailed
from vantage.core.pagination import PageParams


def offset_only(page: PageParams) -> None:
    """Refuse a cursor: the admin lists page by offset (they are short and counted)."""
    if page.cursor is not None:
        raise ValidationFailed.field(("query", "cursor"), "this list pages by offset")

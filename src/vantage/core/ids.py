"""Row ids as clients send them in paths: positive, within a signed 64-bit integer.

Anything larger cannot be bound as a database integer (SQLite raises on it), so it is refused
with a 422 before it reaches a query, and the schema says so.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ROW_ID = 2**63 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
"""A path parameter naming a row by its integer id."""

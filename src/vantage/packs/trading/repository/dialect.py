"""Dialect-specific statement builders shared by the repository modules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

# Keep every statement's bind parameters under SQLite's limit (32766) with room to spare.
CHUNK = 500


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def insert_for(session: AsyncSession, table: Table) -> Any:
    """An INSERT that supports ON CONFLICT on this dialect."""
    name = dialect_of(session)
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the trading pack does not support {name}")


def chunks(items: list[Any], size: int = CHUNK) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]

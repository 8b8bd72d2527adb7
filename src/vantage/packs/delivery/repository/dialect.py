"""The dialect's INSERT, for ``ON CONFLICT`` upserts on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession) -> Any:
    """``insert`` of the session's dialect (both support ``on_conflict_do_*``)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert

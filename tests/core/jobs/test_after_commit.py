"""Work deferred to after a commit runs only when the transaction commits."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from vantage.core.db import Database, after_commit


async def test_callbacks_run_after_commit_and_are_dropped_on_rollback(
    sqlite_url: str, make_settings: Any
) -> None:
    database = Database(make_settings(database_url=sqlite_url))
    ran: list[str] = []

    def record(name: str) -> Any:
        async def callback() -> None:
            ran.append(name)

        return callback

    async def broken() -> None:
        raise RuntimeError("the broker is down")

    try:
        with pytest.raises(ValueError, match="abort"):
            async with database.transaction() as session:
                await session.execute(text("SELECT 1"))
                after_commit(session, record("rolled back"))
                raise ValueError("abort")
        assert ran == []

        async with database.transaction() as session:
            after_commit(session, record("first"))
            after_commit(session, broken)  # logged; the commit stands and others still run
            after_commit(session, record("second"))
            assert ran == []  # nothing before the commit
        assert ran == ["first", "second"]
    finally:
        await database.dispose()

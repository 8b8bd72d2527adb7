"""Counting the SQL statements an application sends, to prove a path runs none (or few)."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import event


class StatementCounter:
    """Counts the statements that reach the database through ``app``'s engines."""

    def __init__(self, app: FastAPI) -> None:
        database = app.state.database
        self.engines = {database.write_engine.sync_engine, database.read_engine.sync_engine}
        self.count = 0

    def _count(self, *_: object) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_: object) -> None:
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._count)

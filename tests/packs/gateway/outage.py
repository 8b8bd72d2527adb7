"""Database outages on demand: PostgreSQL behind a TCP proxy, or an SQLite file moved away."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support.tcpproxy import TcpProxy
from vantage.core.db import sqlite_file_of


@dataclass
class Outage:
    """``url`` is what the application should use; ``cut``/``restore`` toggle the outage."""

    url: str
    _proxy: TcpProxy | None = None
    _file: Path | None = None

    async def cut(self) -> None:
        if self._proxy is not None:
            await self._proxy.stop()
        elif self._file is not None:
            self._file.rename(self._file.with_suffix(".away"))

    async def restore(self) -> None:
        if self._proxy is not None:
            await self._proxy.start()
        elif self._file is not None:
            self._file.with_suffix(".away").rename(self._file)


@contextlib.asynccontextmanager
async def outage_for(database_url: str) -> AsyncIterator[Outage]:
    """An ``Outage`` for the given test database (the proxy keeps its port across restarts)."""
    path = sqlite_file_of(database_url)
    if path is not None:
        yield Outage(database_url, _file=path)
        return
    parsed = make_url(database_url)
    proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    await proxy.start()
    try:
        url = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        yield Outage(url, _proxy=proxy)
    finally:
        await proxy.stop()

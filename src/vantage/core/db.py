"""Engines, sessions and the declarative base shared by core and every pack.

SQLite discipline (embedded default): one file in WAL mode, so readers never block the writer.
SQLite admits one writer at a time, so every write transaction starts with ``BEGIN IMMEDIATE``:
it takes the write lock up front and waits (``busy_timeout``) instead of failing half-way when
two deferred transactions both try to upgrade; within one process, writers queue for their turn
first-come first-served before they ask SQLite (whose busy handler polls, and can starve a waiter
behind a writer that commits back to back). Reads go through a separate engine whose
connections are ``query_only`` and begin deferred, so they never queue behind writers.
"""

from __future__ import annotations

import asyncio
import errno
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request
from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, MetaData, event, exc, text
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

from vantage.config import Settings
from vantage.core.context import core_of
from vantage.core.copies import Copies

logger = structlog.get_logger("vantage.db")

AFTER_COMMIT_KEY = "vantage.after_commit"
WATERMARK_COPIES_KEY = "vantage.watermark_copies"
AfterCommit = Callable[[], Awaitable[None]]

# Set while a task holds its process's SQLite write turn, so a nested transaction does not wait
# for itself (it meets SQLite's own lock instead, as it would without the turn).
_holding_write_turn: ContextVar[bool] = ContextVar("vantage_holding_write_turn", default=False)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


NAIVE_DATETIME = "naive datetimes are ambiguous; pass an aware UTC datetime"


def sqlite_utc_text(value: datetime | None) -> str | None:
    """The UTC moment as SQLAlchemy's SQLite ``DATETIME`` stores it, in one step."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError(NAIVE_DATETIME)
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name == "sqlite":
            # Every timestamp SQLite is sent passes here; converting and formatting in one
            # call costs half of the decorator's two steps (this one, then DATETIME's own).
            return sqlite_utc_text
        return super().bind_processor(dialect)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(NAIVE_DATETIME)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


# 64-bit keys on PostgreSQL; on SQLite "INTEGER PRIMARY KEY" is the rowid (64-bit already) and
# the only integer key SQLite numbers by itself.
Key = BigInteger().with_variant(Integer(), "sqlite")
# Tables read by their primary key: on SQLite stored as that key's b-tree alone, with no rowid.
NO_ROWID = {"sqlite_with_rowid": False}
# Tables whose ids clients keep after the row is gone: without AUTOINCREMENT SQLite hands a
# deleted largest id to the next row (PostgreSQL's sequences never hand one out twice).
IDS_NEVER_REUSED = {"sqlite_autoincrement": True}


class Base(DeclarativeBase):
    """Declarative base; constraint names follow one convention so migrations can name them."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    """``created_at`` / ``updated_at`` kept by the application in UTC."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class TenantMixin:
    """Every domain row belongs to a tenant; repositories filter on this column."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:  # noqa: N805 - declared_attr receives the class
        return mapped_column(
            Integer, ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
        )


def sqlite_file_of(url: str | URL) -> Path | None:
    """The database file behind an SQLite URL (None for other databases and memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        database = database.removeprefix("file:")
    return Path(database).resolve()


def sqlite_url(path: Path, *, create: bool) -> str:
    """An aiosqlite URL in URI form; ``mode=rw`` never creates a missing file by accident."""
    mode = "rwc" if create else "rw"
    return f"sqlite+aiosqlite:///file:{path}?mode={mode}&uri=true"


SQLITE_MMAP_BYTES = 1024 * 1024 * 1024
SQLITE_CACHE_KIB = 64 * 1024


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_dev, stat.st_ino)


def _switch_to_wal(cursor: Any, wait_s: float) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another connection is switching the file.

    The switch needs the file to itself, and SQLite answers a concurrent one (two server
    processes opening a new file at once) with "locked" at once rather than through its busy
    handler. Migrated files are already in WAL mode, where this is a no-op.
    """
    deadline = time.monotonic() + wait_s
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
        # Runs inside the connect hook, which is synchronous; the wait is rare and short.
        time.sleep(0.01)


def _install_sqlite_hooks(
    engine: AsyncEngine, path: Path, settings: Settings, *, writer: bool
) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        pragmas = ["foreign_keys=ON", f"busy_timeout={settings.sqlite_busy_timeout_ms}"]
        # Reads of large indexes: memory-mapped pages cost no system call per page, and a page
        # cache larger than the 2 MB default keeps the upper levels of every index resident.
        pragmas += [f"mmap_size={SQLITE_MMAP_BYTES}", f"cache_size=-{SQLITE_CACHE_KIB}"]
        pragmas += ["synchronous=NORMAL"] if writer else ["query_only=ON"]
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        if writer:
            _switch_to_wal(cursor, settings.sqlite_busy_timeout_ms / 1000)
        cursor.close()
        record.info["file_identity"] = _file_identity(path)

    @event.listens_for(sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        # A pooled connection keeps a deleted or replaced file open; writing there would be lost.
        if record.info.get("file_identity") != _file_identity(path):
            raise exc.DisconnectionError("the database file was removed or replaced")

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def _postgres_engine(url: str, settings: Settings) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_pre_ping=True,
        connect_args={
            "timeout": settings.db_connect_timeout_seconds,
            "server_settings": {
                "application_name": "vantage",
                "statement_timeout": str(settings.db_statement_timeout_ms),
            },
        },
    )


def _sqlite_engine(path: Path, settings: Settings, *, writer: bool) -> AsyncEngine:
    engine = create_async_engine(
        sqlite_url(path, create=False),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
    )
    _install_sqlite_hooks(engine, path, settings, writer=writer)
    return engine


def create_engine_for(url: str, settings: Settings, *, writer: bool = True) -> AsyncEngine:
    """An engine for ``url`` with the pool, timeout and SQLite settings of ``settings``."""
    path = sqlite_file_of(url)
    if path is not None:
        return _sqlite_engine(path, settings, writer=writer)
    if make_url(url).get_backend_name() == "postgresql":
        return _postgres_engine(url, settings)
    return create_async_engine(url)


def watermark_copies(session: AsyncSession) -> Copies[tuple[int, str], Any] | None:
    """The watermark copies of the database ``session`` belongs to."""
    copies: Copies[tuple[int, str], Any] | None = session.info.get(WATERMARK_COPIES_KEY)
    return copies


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run ``callback`` once the transaction of ``session`` commits; dropped if it rolls back.

    Only sessions opened by :meth:`Database.transaction` (and so ``WriteSession``) run them.
    """
    session.info.setdefault(AFTER_COMMIT_KEY, []).append(callback)


async def _run_after_commit(callbacks: list[AfterCommit]) -> None:
    # The data is committed: a failing callback is logged, never turned into a failed request.
    for callback in callbacks:
        try:
            await callback()
        except Exception:
            logger.exception("after-commit callback failed")


class Database:
    """The write engine, the read engine (a replica, or read-only connections) and sessions."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.effective_database_url
        self.sqlite_path = sqlite_file_of(self.url)
        self.write_engine = create_engine_for(self.url, settings, writer=True)
        if settings.read_database_url:
            self.read_engine = create_engine_for(settings.read_database_url, settings, writer=False)
        elif self.sqlite_path is not None:
            self.read_engine = create_engine_for(self.url, settings, writer=False)
        else:
            self.read_engine = self.write_engine
        # Per (tenant, pack): what a conditional read needs to answer 304 without a query.
        self.watermarks: Copies[tuple[int, str], Any] = Copies(settings.watermark_cache_seconds)
        info = {WATERMARK_COPIES_KEY: self.watermarks}
        self.write_sessions = async_sessionmaker(
            self.write_engine, expire_on_commit=False, info=info
        )
        self.read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False, info=info)
        # Writers of one process take turns on SQLite (see the module docstring for why).
        self._write_turn = asyncio.Lock() if self.sqlite_path is not None else None
        self._write_turn_wait_s = settings.sqlite_busy_timeout_ms / 1000

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A write unit of work: commits once when the block succeeds, rolls back otherwise."""
        async with self._write_turn_held(), self.write_sessions() as session:
            try:
                yield session
            except BaseException:
                session.info.pop(AFTER_COMMIT_KEY, None)
                await session.rollback()
                raise
            try:
                await session.commit()
            finally:
                callbacks = session.info.pop(AFTER_COMMIT_KEY, [])
        await _run_after_commit(callbacks)

    @asynccontextmanager
    async def _write_turn_held(self) -> AsyncIterator[None]:
        turn = self._write_turn
        if turn is None or _holding_write_turn.get():
            yield
            return
        try:
            async with asyncio.timeout(self._write_turn_wait_s):
                await turn.acquire()
        except TimeoutError:
            raise exc.TimeoutError(
                f"no write turn on the database within {self._write_turn_wait_s:g} s"
            ) from None
        holding = _holding_write_turn.set(True)
        try:
            yield
        finally:
            _holding_write_turn.reset(holding)
            turn.release()

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A read-only session (replica when configured); never commits."""
        async with self.read_sessions() as session:
            yield session

    async def ping(self, timeout: float) -> float:
        """Round-trip ``SELECT 1`` on the write engine; returns seconds, raises on failure."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        if self.sqlite_path is not None and not self.sqlite_path.exists():
            raise FileNotFoundError(f"database file {self.sqlite_path} is missing")
        async with asyncio.timeout(timeout):
            async with self.write_engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        return loop.time() - began

    async def current_revisions(self, timeout: float) -> set[str]:
        """The Alembic revisions the database is stamped with."""
        async with asyncio.timeout(timeout):
            async with self.write_engine.connect() as connection:
                rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
                return {row[0] for row in rows}

    def pool_stats(self) -> dict[str, dict[str, int]]:
        engines = {"write": self.write_engine}
        if self.read_engine is not self.write_engine:
            engines["read"] = self.read_engine
        stats: dict[str, dict[str, int]] = {}
        for name, engine in engines.items():
            pool: Any = engine.sync_engine.pool
            if hasattr(pool, "checkedout"):
                stats[name] = {
                    "size": pool.size(),
                    "checked_out": pool.checkedout(),
                    "overflow": max(pool.overflow(), 0),
                }
        return stats

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()


def database_of(request: Request) -> Database:
    """The application's database."""
    return core_of(request).database


async def _write_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with database_of(request).transaction() as session:
        yield session


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with database_of(request).reader() as session:
        yield session


# scope="function" ends the dependency before the response is sent: a failed commit becomes an
# error response instead of a success the database never kept.
WriteSession = Annotated[AsyncSession, Depends(_write_session, scope="function")]
ReadSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]


def is_database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached right now (vs. a bug)."""
    if isinstance(error, exc.TimeoutError | exc.DisconnectionError):
        return True
    if isinstance(error, exc.DBAPIError):
        return error.connection_invalidated or isinstance(
            error, exc.OperationalError | exc.InterfaceError
        )
    return isinstance(error, ConnectionError | TimeoutError) or (
        isinstance(error, OSError) and error.errno is not None and error.errno in _NETWORK_ERRNOS
    )


# Deadlock and serialization failure: the database rolled this transaction back so that a
# concurrent one could go on; the same work will likely succeed when tried again.
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})


def is_transient_conflict(error: BaseException) -> bool:
    """Whether ``error`` is a transaction that gave way to a concurrent one (vs. a bug)."""
    return isinstance(error, exc.DBAPIError) and (
        getattr(error.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES
    )


_NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
}

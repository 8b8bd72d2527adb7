"""How the command line fails: one line saying what went wrong and what to check, exit code 1.

A traceback is for whoever debugs Vantage, not for whoever runs it with a wrong URL, a stopped
database or a bad file: the root command takes ``--debug`` to show it. Messages name hosts and
ports, never passwords.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from typer.core import TyperGroup

from vantage.config import Settings, load_settings
from vantage.core.cli_support import console
from vantage.core.db import Database
from vantage.core.redis import create_redis

DEBUG_KEY = "vantage.debug"
PREFLIGHT_TIMEOUT_SECONDS = 5.0


class ServiceUnreachable(Exception):
    """A service the command needs did not answer; the message says which and what to check."""


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)  # SQLAlchemy wraps the driver's error here
        current = (
            orig if isinstance(orig, BaseException) else current.__cause__ or current.__context__
        )


def _reason(error: BaseException) -> str:
    root = list(_causes(error))[-1]
    lines = str(root).strip().splitlines()
    return (lines[0] if lines else type(root).__name__)[:200]


def _address(url: str, default_port: int | None) -> str:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "the configured address"
    if parsed.get_backend_name() == "sqlite":
        return str(parsed.database)
    return f"{parsed.host or 'localhost'}:{parsed.port or default_port}"


def database_unreachable(url: str, error: BaseException) -> ServiceUnreachable:
    """The one-line failure of a database that cannot be used."""
    return ServiceUnreachable(
        f"Cannot reach the database at {_address(url, 5432)} ({_reason(error)}). "
        "Check VANTAGE_DATABASE_URL and that the database server is running and migrated."
    )


def redis_unreachable(url: str, error: BaseException) -> ServiceUnreachable:
    """The one-line failure of a Redis that cannot be reached."""
    return ServiceUnreachable(
        f"Cannot reach Redis at {_address(url, 6379)} ({_reason(error)}). "
        "Check VANTAGE_REDIS_URL and that Redis is running."
    )


def require_database_file(database: Database) -> None:
    """Fail with ``ServiceUnreachable`` when the SQLite file is missing (never create it here)."""
    if database.sqlite_path is not None and not database.sqlite_path.exists():
        raise ServiceUnreachable(
            f"No database at {database.sqlite_path}. Create it with `vantage migrate`, "
            "or check VANTAGE_DATA_DIR and VANTAGE_DATABASE_URL."
        )


async def _ping_database(settings: Settings) -> None:
    database = Database(settings)
    require_database_file(database)
    try:
        await database.ping(PREFLIGHT_TIMEOUT_SECONDS)
    except Exception as error:
        raise database_unreachable(settings.effective_database_url, error) from error
    finally:
        await database.dispose()


async def _ping_redis(url: str) -> None:
    redis = create_redis(url)
    try:
        async with asyncio.timeout(PREFLIGHT_TIMEOUT_SECONDS):
            await redis.ping()
    except Exception as error:
        raise redis_unreachable(url, error) from error
    finally:
        await redis.aclose()


def require_services(settings: Settings) -> None:
    """Fail with ``ServiceUnreachable`` unless the database (and Redis, when set) answer."""

    async def check() -> None:
        await _ping_database(settings)
        if settings.redis_url:
            await _ping_redis(settings.redis_url)

    asyncio.run(check())


def _is_connection_failure(error: BaseException) -> bool:
    # Not every OSError: a missing or unreadable file is not an unreachable server.
    return isinstance(error, ConnectionError | TimeoutError | socket.gaierror)


def _redacted(text: str, settings: Settings | None) -> str:
    for url in (settings.effective_database_url, settings.redis_url) if settings else ():
        password = make_url(url).password if url and "://" in url else None
        if password:
            text = text.replace(str(password), "***")
    return text


def describe_failure(error: BaseException) -> str:
    """One line for an error a command did not handle itself."""
    try:
        settings: Settings | None = load_settings()
    except Exception:  # the configuration itself may be what is wrong
        settings = None
    causes = list(_causes(error))
    if isinstance(error, ServiceUnreachable):
        message = str(error)
    elif settings and any(type(c).__module__.startswith("redis") for c in causes):
        message = str(redis_unreachable(settings.redis_url or "", error))
    elif (
        settings
        and any(
            isinstance(c, SQLAlchemyError) or type(c).__module__.startswith("asyncpg")
            for c in causes
        )
    ) or (any(_is_connection_failure(c) for c in causes) and settings):
        message = str(database_unreachable(settings.effective_database_url, error))
    else:
        message = f"{type(error).__name__}: {_reason(error)} (run with --debug for the traceback)"
    return _redacted(message, settings)


class FriendlyErrors(TyperGroup):
    """The root command: an unhandled error becomes one line and exit 1 unless ``--debug``."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click.Context, not public API
        """Run the command, turning an unexpected failure into a message."""
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # typer's own way out
            raise
        except Exception as error:
            if ctx.meta.get(DEBUG_KEY):
                raise
            console.print(f"[red]{describe_failure(error)}[/red]", soft_wrap=True)
            raise typer.Exit(1) from error


def debug_option(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of a failure.")
    ] = False,
) -> None:
    """Global options of every command."""
    ctx.meta[DEBUG_KEY] = debug

"""What commands share: settings or a clear exit, the configured database for one command
with failures as a message and exit code 1, and reading every page of a listing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from vantage.config import Settings, load_settings
from vantage.core.db import Database
from vantage.core.errors import NotFound, VantageError

T = TypeVar("T")
LIST_PAGE = 500

# Messages go to stderr, so what a command prints on stdout (an API key) can be piped.
console = Console(stderr=True)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ValueError as error:
        console.print(f"[red]Invalid configuration:[/red] {error}")
        raise typer.Exit(2) from error


def run_with_database(work: Callable[[Database], Coroutine[Any, Any, T]]) -> T:
    """Run ``work`` against the configured database; failures become a message and exit 1."""

    async def main() -> T:
        database = Database(settings_or_exit())
        if database.sqlite_path is not None and not database.sqlite_path.exists():
            await database.dispose()
            raise NotFound(
                f"no database at {database.sqlite_path}; create it with `vantage migrate`"
            )
        try:
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except VantageError as error:
        console.print(f"[red]{error.detail or error.title}[/red]")
        raise typer.Exit(1) from error
    except SQLAlchemyError as error:
        console.print(f"[red]Database error:[/red] {str(error).splitlines()[0][:300]}")
        console.print("Is the database reachable and migrated (`vantage migrate`)?")
        raise typer.Exit(1) from error


async def every_page(
    fetch: Callable[[int, int], Awaitable[tuple[Sequence[T], int]]],
) -> list[T]:
    """All rows of an offset-paged listing; ``fetch(limit, offset)`` returns a page and the
    total."""
    found: list[T] = []
    while True:
        page, total = await fetch(LIST_PAGE, len(found))
        found.extend(page)
        if not page or len(found) >= total:
            return found

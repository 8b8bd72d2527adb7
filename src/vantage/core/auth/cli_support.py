"""What the account commands (``vantage users``, ``tenants``, ``api-keys``) share: the
configured database for one command, failures as a message and an exit code, tenant lookup."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.config import Settings, load_settings
from vantage.core.auth import repository
from vantage.core.auth.models import Tenant
from vantage.core.db import Database
from vantage.core.errors import NotFound, VantageError

T = TypeVar("T")

# Messages go to stderr, so what a command prints on stdout (an API key) can be piped.
console = Console(stderr=True)

TenantOption = Annotated[str, typer.Option("--tenant", help="Tenant slug", show_default=True)]


def _settings() -> Settings:
    try:
        return load_settings()
    except ValueError as error:
        console.print(f"[red]Invalid configuration:[/red] {error}")
        raise typer.Exit(2) from error


def run_with_database(work: Callable[[Database], Coroutine[Any, Any, T]]) -> T:
    """Run ``work`` against the configured database; failures become a message and exit 1."""

    async def main() -> T:
        database = Database(_settings())
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


async def tenant_named(session: AsyncSession, slug: str) -> Tenant:
    tenant = await repository.tenant_by_slug(session, slug)
    if tenant is None:
        raise NotFound(f"no tenant with slug {slug!r}")
    return tenant

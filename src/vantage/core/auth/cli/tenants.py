"""``vantage tenants``: create and list tenants (an operator's task; admins act inside one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vantage.core.auth.models import Tenant
from vantage.core.auth.service import tenants
from vantage.core.cli_support import console, run_with_database
from vantage.core.db import Database

tenants_cli = typer.Typer(help="Manage tenants: create, list.", no_args_is_help=True)


@tenants_cli.command("create")
def create(
    slug: Annotated[str, typer.Argument(help="Lower-case letters, digits and hyphens")],
    name: Annotated[str | None, typer.Option(help="Display name (default: the slug)")] = None,
) -> None:
    """Create an empty tenant; add its first admin with `vantage users create --tenant`."""

    async def work(database: Database) -> Tenant:
        async with database.transaction() as session:
            return await tenants.create_tenant(session, slug, name)

    tenant = run_with_database(work)
    console.print(f"Created tenant [bold]{tenant.slug}[/bold] ({tenant.name}, id {tenant.id})")


@tenants_cli.command("list")
def list_tenants() -> None:
    """List every tenant with its number of users."""

    async def work(database: Database) -> Sequence[tuple[Tenant, int]]:
        async with database.reader() as session:
            return await tenants.list_tenants(session)

    table = Table("id", "slug", "name", "users", "created")
    for tenant, users in run_with_database(work):
        created = tenant.created_at.strftime("%Y-%m-%d %H:%M")
        table.add_row(str(tenant.id), tenant.slug, tenant.name, str(users), created)
    Console().print(table)

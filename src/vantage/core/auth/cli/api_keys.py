"""``vantage api-keys``: create, list and revoke a tenant's API keys from the shell.

``create`` prints the key alone on standard output (everything else goes to standard error),
so it can be captured: ``KEY=$(vantage api-keys create ingest-bot --scope ingest)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vantage.core.auth.cli.support import TenantOption, tenant_named
from vantage.core.auth.models import DEFAULT_TENANT_SLUG, ApiKey
from vantage.core.auth.principal import Scope
from vantage.core.auth.service import api_keys as api_key_service
from vantage.core.auth.service.api_key_format import decode_scopes, key_is_live
from vantage.core.auth.service.api_keys import CreatedKey
from vantage.core.cli_support import console, every_page, run_with_database
from vantage.core.db import Database, utcnow

api_keys_cli = typer.Typer(help="Manage API keys: create, list, revoke.", no_args_is_help=True)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def _state(key: ApiKey, now: datetime) -> str:
    if key_is_live(key.revoked_at, key.expires_at, now):
        return "active"
    return "[red]revoked[/red]" if key.revoked_at is not None else "[yellow]expired[/yellow]"


@api_keys_cli.command("create")
def create(
    name: Annotated[str, typer.Argument(help="What the key is for (shown in listings)")],
    scope: Annotated[
        list[Scope], typer.Option("--scope", help="A scope to grant; repeat for several")
    ],
    tenant: TenantOption = DEFAULT_TENANT_SLUG,
    expires_in_days: Annotated[
        int | None, typer.Option(min=1, help="Days until the key expires (default: never)")
    ] = None,
) -> None:
    """Create a key; the key itself is printed once, on standard output."""
    now = utcnow()
    expires_at = now + timedelta(days=expires_in_days) if expires_in_days else None

    async def work(database: Database) -> CreatedKey:
        async with database.transaction() as session:
            owner = await tenant_named(session, tenant)
            return await api_key_service.create_api_key(
                session,
                tenant_id=owner.id,
                name=name,
                scopes=scope,
                expires_at=expires_at,
                created_by_id=None,
                now=now,
            )

    created = run_with_database(work)
    console.print(
        f"Created API key {created.row.id} [bold]{name}[/bold] in {tenant} "
        f"(scopes {created.row.scopes}); it is shown only now:"
    )
    typer.echo(created.key)


@api_keys_cli.command("list")
def list_keys(tenant: TenantOption = DEFAULT_TENANT_SLUG) -> None:
    """List the tenant's keys, newest first (never their secrets)."""

    async def work(database: Database) -> Sequence[ApiKey]:
        async with database.reader() as session:
            owner = await tenant_named(session, tenant)
            return await every_page(
                lambda limit, offset: api_key_service.list_api_keys(
                    session, owner.id, limit=limit, offset=offset
                )
            )

    now = utcnow()
    table = Table("id", "name", "prefix", "scopes", "state", "created", "expires", "last used")
    for key in run_with_database(work):
        table.add_row(
            str(key.id),
            key.name,
            key.prefix,
            ",".join(sorted(decode_scopes(key.scopes))),
            _state(key, now),
            _when(key.created_at),
            _when(key.expires_at),
            _when(key.last_used_at),
        )
    Console().print(table)


@api_keys_cli.command("revoke")
def revoke(
    key_id: Annotated[int, typer.Argument(help="The key's id (see `list`)")],
    tenant: TenantOption = DEFAULT_TENANT_SLUG,
) -> None:
    """Revoke a key; running servers refuse it once their copy of it expires (seconds)."""

    async def work(database: Database) -> ApiKey:
        async with database.transaction() as session:
            owner = await tenant_named(session, tenant)
            return await api_key_service.revoke_api_key(session, None, owner.id, key_id, utcnow())

    key = run_with_database(work)
    console.print(f"API key {key.id} [bold]{key.name}[/bold] ({key.prefix}) is revoked")

"""``vantage users``: create, list, change the role of, and disable users from the shell."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.cli.support import TenantOption, tenant_named
from vantage.core.auth.models import DEFAULT_TENANT_SLUG, Role, User
from vantage.core.auth.repository import users as user_rows
from vantage.core.auth.service import users
from vantage.core.auth.service.passwords import PasswordHasher
from vantage.core.auth.service.users import UserChanges
from vantage.core.cli_support import console, every_page, run_with_database
from vantage.core.db import Database, utcnow
from vantage.core.errors import NotFound

users_cli = typer.Typer(help="Manage users: create, list, set-role, disable.", no_args_is_help=True)
EmailArgument = Annotated[str, typer.Argument(help="The user's email address")]


async def _user(session: AsyncSession, slug: str, email: str) -> User:
    tenant = await tenant_named(session, slug)
    user = await user_rows.user_by_email(session, tenant.id, email.strip())
    if user is None:
        raise NotFound(f"no user {email} in tenant {slug!r}")
    return user


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_cli.command("create")
def create(
    email: EmailArgument,
    role: Annotated[Role, typer.Option(help="viewer, analyst or admin")] = Role.VIEWER,
    tenant: TenantOption = DEFAULT_TENANT_SLUG,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create a user (the password is prompted for, or read from stdin)."""
    password = _read_password(password_stdin)

    async def work(database: Database) -> User:
        async with database.transaction() as session:
            owner = await tenant_named(session, tenant)
            return await users.create_user(
                session,
                PasswordHasher(),
                tenant_id=owner.id,
                email=email,
                password=password,
                role=role,
            )

    user = run_with_database(work)
    console.print(f"Created {user.role} [bold]{user.email}[/bold] (id {user.id}) in {tenant}")


@users_cli.command("list")
def list_users(tenant: TenantOption = DEFAULT_TENANT_SLUG) -> None:
    """List the users of a tenant."""

    async def work(database: Database) -> list[User]:
        async with database.reader() as session:
            owner = await tenant_named(session, tenant)
            return await every_page(
                lambda limit, offset: users.list_users(
                    session, owner.id, limit=limit, offset=offset
                )
            )

    table = Table("id", "email", "role", "active", "created")
    for user in run_with_database(work):
        table.add_row(
            str(user.id),
            user.email,
            user.role,
            "yes" if user.active else "[red]no[/red]",
            user.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    Console().print(table)


def _change(
    tenant: str, email: str, apply: Callable[[AsyncSession, User], Awaitable[User]]
) -> User:
    async def work(database: Database) -> User:
        async with database.transaction() as session:
            return await apply(session, await _user(session, tenant, email))

    return run_with_database(work)


@users_cli.command("set-role")
def set_role(
    email: EmailArgument,
    role: Annotated[Role, typer.Argument(help="viewer, analyst or admin")],
    tenant: TenantOption = DEFAULT_TENANT_SLUG,
) -> None:
    """Change a user's role; the user's current access tokens stop working."""

    async def apply(session: AsyncSession, user: User) -> User:
        changes = UserChanges(role=role)
        return await users.update_user(session, PasswordHasher(), user, changes, now=utcnow())

    user = _change(tenant, email, apply)
    console.print(f"[bold]{user.email}[/bold] is now {user.role}")


@users_cli.command("disable")
def disable(email: EmailArgument, tenant: TenantOption = DEFAULT_TENANT_SLUG) -> None:
    """Disable a user: sign-in and every token of the user stop working."""

    async def apply(session: AsyncSession, user: User) -> User:
        return await users.disable_user(session, user, now=utcnow())

    user = _change(tenant, email, apply)
    console.print(f"[bold]{user.email}[/bold] is disabled")

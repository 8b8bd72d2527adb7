"""``vantage users``: create, list, change the role of, and disable users from the shell."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.config import Settings, load_settings
from vantage.core.auth import repository, users
from vantage.core.auth.models import DEFAULT_TENANT_SLUG, Role, Tenant, User
from vantage.core.auth.passwords import PasswordHasher
from vantage.core.auth.users import UserChanges
from vantage.core.db import Database, utcnow
from vantage.core.errors import NotFound, VantageError

T = TypeVar("T")
LIST_PAGE = 500

console = Console(stderr=True)
users_cli = typer.Typer(help="Manage users: create, list, set-role, disable.", no_args_is_help=True)

TenantOption = Annotated[str, typer.Option("--tenant", help="Tenant slug", show_default=True)]
EmailArgument = Annotated[str, typer.Argument(help="The user's email address")]


def _settings() -> Settings:
    try:
        return load_settings()
    except ValueError as error:
        console.print(f"[red]Invalid configuration:[/red] {error}")
        raise typer.Exit(2) from error


def _run(work: Callable[[Database], Coroutine[Any, Any, T]]) -> T:
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


async def _tenant(session: AsyncSession, slug: str) -> Tenant:
    tenant = await repository.tenant_by_slug(session, slug)
    if tenant is None:
        raise NotFound(f"no tenant with slug {slug!r}")
    return tenant


async def _user(session: AsyncSession, slug: str, email: str) -> User:
    tenant = await _tenant(session, slug)
    user = await repository.user_by_email(session, tenant.id, email.strip())
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
            owner = await _tenant(session, tenant)
            return await users.create_user(
                session,
                PasswordHasher(),
                tenant_id=owner.id,
                email=email,
                password=password,
                role=role,
            )

    user = _run(work)
    console.print(f"Created {user.role} [bold]{user.email}[/bold] (id {user.id}) in {tenant}")


@users_cli.command("list")
def list_users(tenant: TenantOption = DEFAULT_TENANT_SLUG) -> None:
    """List the users of a tenant."""

    async def work(database: Database) -> list[User]:
        async with database.reader() as session:
            owner = await _tenant(session, tenant)
            found: list[User] = []
            while True:
                page, total = await users.list_users(
                    session, owner.id, limit=LIST_PAGE, offset=len(found)
                )
                found.extend(page)
                if not page or len(found) >= total:
                    return found

    table = Table("id", "email", "role", "active", "created")
    for user in _run(work):
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

    return _run(work)


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

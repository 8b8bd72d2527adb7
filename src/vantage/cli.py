"""The ``vantage`` command line: serve, demo, migrate, worker, version, and pack commands."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

import typer
import uvicorn
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from typer.core import TyperGroup

from vantage import PRODUCT_NAME, __version__
from vantage.config import Settings
from vantage.core import migrations
from vantage.core.auth.cli.api_keys import api_keys_cli
from vantage.core.auth.cli.tenants import tenants_cli
from vantage.core.auth.cli.users import users_cli
from vantage.core.cli_errors import FriendlyErrors, debug_option, require_services
from vantage.core.cli_support import console, settings_or_exit
from vantage.core.db import Database
from vantage.core.demo import DemoLogin, ensure_demo_admin, load_pack_demos
from vantage.core.packs import (
    Pack,
    PackError,
    discover_packs,
    enabled_packs,
    installed_pack_names,
    installed_pack_title,
    load_installed_pack,
)
from vantage.core.telemetry import configure_logging


class Scale(StrEnum):
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


HostOption = Annotated[str, typer.Option(help="Interface to bind")]
PortOption = Annotated[int, typer.Option(help="TCP port", min=1, max=65535)]


def _migrate(settings: Settings) -> None:
    with console.status("Migrating the database"):
        migrations.upgrade(settings.effective_database_url)
    console.print(f"Database at revision {', '.join(sorted(migrations.head_revisions()))}")


def _serve(
    settings: Settings, host: str, port: int, workers: int = 1, reload: bool = False
) -> None:
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its metrics here so /metrics adds up every process.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="vantage-metrics-")
    uvicorn.run(
        "vantage.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.shutdown_timeout_seconds),
        # Client addresses come from our own trusted-proxy logic, never from uvicorn's defaults.
        proxy_headers=False,
    )


def serve(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes", min=1)] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development)")] = False,
) -> None:
    """Serve the API with uvicorn (migrating first unless VANTAGE_MIGRATE_ON_START=false)."""
    settings = settings_or_exit()
    if settings.migrate_on_start:
        _migrate(settings)
    require_services(settings)
    _serve(settings, host, port, workers, reload)


def _progress_bar(progress: Progress) -> Callable[[Pack], Callable[[int, int], None]]:
    def for_pack(pack: Pack) -> Callable[[int, int], None]:
        task = progress.add_task(pack.title, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return update

    return for_pack


async def _prepare_demo(settings: Settings, packs: list[Pack], scale: Scale) -> DemoLogin:
    database = Database(settings)
    try:
        login = await ensure_demo_admin(settings, database)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console) as progress:
            summaries = await load_pack_demos(
                settings, database, packs, scale.value, _progress_bar(progress)
            )
        for name, summary in summaries.items():
            console.print(f"  [bold]{name}[/bold]: {summary}")
        return login
    finally:
        await database.dispose()


def _print_welcome(host: str, port: int, login: DemoLogin, packs: list[Pack]) -> None:
    base = f"http://{host}:{port}"
    console.print(f"\n[bold]{PRODUCT_NAME} {__version__}[/bold] demo")
    console.print(f"  API       {base}/")
    console.print(f"  Docs      {base}/docs")
    console.print(f"  Health    {base}/health")
    console.print(f"  Packs     {', '.join(p.name for p in packs) or 'none installed'}")
    console.print(f"  Login     {login.email}")
    console.print(f"  Password  {login.password}  (random for this data directory)\n")


def demo(
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve when loaded")
    ] = True,
    scale: Annotated[Scale, typer.Option(help="How much demo data to load")] = Scale.SMALL,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
) -> None:
    """Migrate, load demo data of the enabled packs, print the login, and serve."""
    settings = settings_or_exit()
    try:
        packs = enabled_packs(settings)
    except PackError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    _migrate(settings)
    login = asyncio.run(_prepare_demo(settings, packs, scale))
    _print_welcome(host, port, login, packs)
    if serve_after:
        _serve(settings, host, port)


def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
    down: Annotated[bool, typer.Option("--down", help="Downgrade to REVISION instead")] = False,
) -> None:
    """Apply (or with --down, revert) database migrations."""
    settings = settings_or_exit()
    url = settings.effective_database_url
    if down:
        migrations.downgrade(url, revision)
        console.print(f"Database downgraded to {revision}")
    elif revision == "head":
        _migrate(settings)
    else:
        migrations.upgrade(url, revision)
        console.print(f"Database at revision {revision}")


def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(help="Jobs run at once (default VANTAGE_JOB_WORKER_CONCURRENCY)", min=1),
    ] = None,
) -> None:
    """Run background jobs from the broker (VANTAGE_BROKER_URL), with the reaper and scheduler."""
    from vantage.core.jobs.process import run_worker

    settings = settings_or_exit()
    if not settings.broker_url:
        console.print(
            "[red]vantage worker needs VANTAGE_BROKER_URL[/red] (e.g. redis://host:6379/0); "
            "without a broker, the API process runs jobs itself."
        )
        raise typer.Exit(2)
    if concurrency is not None:
        settings = settings.model_copy(update={"job_worker_concurrency": concurrency})
    try:
        packs = enabled_packs(settings)
    except PackError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    configure_logging(settings)
    asyncio.run(run_worker(settings, packs))


def version() -> None:
    """Print the version."""
    typer.echo(f"{PRODUCT_NAME} {__version__}")


IMPORT_GROUP = "import"
IMPORT_HELP = "Import data files into the packs."


def _add_pack_commands(app: typer.Typer, packs: dict[str, Pack]) -> typer.Typer:
    """A sub-command group for every pack that has one, and ``import`` for their importers."""
    installed = sorted(packs.items())
    importers = typer.Typer(help=IMPORT_HELP, no_args_is_help=True)
    for name, pack in installed:
        if pack.cli is not None:
            app.add_typer(pack.cli, name=name, help=pack.title)
        if pack.importers is not None:
            importers.add_typer(pack.importers)
    if any(pack.importers is not None for _, pack in installed):
        app.add_typer(importers, name=IMPORT_GROUP)
    return app


class LazyPackCommands(FriendlyErrors):
    """The root command of the installed CLI. A pack's group loads that pack only when it is
    named (``import`` loads every pack; ``--help`` lists them by title only), so a core command
    such as ``version`` or ``tenants`` starts without importing every pack's routes and
    libraries."""

    listing = False  # while help lists the commands, when a pack group needs only its title

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *installed_pack_names(), IMPORT_GROUP]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        if self.listing:
            return self._title_only(cmd_name)
        if cmd_name == IMPORT_GROUP:
            packs = discover_packs()
        elif cmd_name in installed_pack_names():
            packs = {cmd_name: load_installed_pack(cmd_name)}
        else:
            return None
        loaded = typer.main.get_group(_add_pack_commands(typer.Typer(), packs))
        command = loaded.commands.get(cmd_name)
        if command is not None:
            self.commands[cmd_name] = command
        return command

    @staticmethod
    def _title_only(cmd_name: str) -> TyperGroup | None:
        """A stand-in group that help can list without the pack being loaded."""
        if cmd_name == IMPORT_GROUP:
            return TyperGroup(name=cmd_name, help=IMPORT_HELP)
        if cmd_name in installed_pack_names():
            return TyperGroup(name=cmd_name, help=installed_pack_title(cmd_name))
        return None


def build_cli(packs: dict[str, Pack] | None = None) -> typer.Typer:
    """The command tree, with a sub-command group for every installed pack that has one (the
    installed ones loaded as they are named, when ``packs`` is not given)."""
    app = typer.Typer(
        help=f"{PRODUCT_NAME}: one analytics backend for many dashboards.",
        no_args_is_help=True,
        cls=FriendlyErrors if packs is not None else LazyPackCommands,
    )
    app.callback()(debug_option)
    app.command()(serve)
    app.command()(demo)
    app.command()(migrate)
    app.command()(worker)
    app.command()(version)
    app.add_typer(tenants_cli, name="tenants")
    app.add_typer(users_cli, name="users")
    app.add_typer(api_keys_cli, name="api-keys")
    return app if packs is None else _add_pack_commands(app, packs)


def main() -> None:
    """Console entry point."""
    build_cli()()

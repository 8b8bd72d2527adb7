"""Commands: ``vantage import orders FILE`` and ``vantage commerce presets``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from vantage.config import load_settings
from vantage.core.auth.repository import tenant_by_slug
from vantage.core.cli_errors import require_database_file
from vantage.core.db import Database
from vantage.core.errors import VantageError
from vantage.packs.commerce.ingest.batch import STATUSES
from vantage.packs.commerce.ingest.files import Chunk, FileFormat, ImportPlan, detect_format
from vantage.packs.commerce.ingest.rows import PRESETS, ColumnMap, RowError
from vantage.packs.commerce.service.importer import ImportReport, import_file
from vantage.packs.commerce.settings import CommerceSettings

console = Console(stderr=True)
cli = typer.Typer(help="Commerce: sales analytics.", no_args_is_help=True)
importers = typer.Typer()


@cli.command()
def presets() -> None:
    """List the file layouts ``vantage import orders --preset`` knows."""
    for preset in PRESETS.values():
        typer.echo(f"{preset.name}: {preset.description}")


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise typer.BadParameter(f"expected FIELD=COLUMN, got {pair!r}", param_hint="--map")
        mapping[name.strip()] = column.strip()
    return mapping


def _plan(
    path: Path,
    file_format: FileFormat | None,
    preset_name: str | None,
    mapping: list[str],
    timezone: str,
    batch_size: int,
    encoding: str,
    delimiter: str | None,
    status: str,
) -> ImportPlan:
    preset = None
    if preset_name is not None:
        if preset_name not in PRESETS:
            raise typer.BadParameter(f"known presets: {', '.join(PRESETS)}", param_hint="--preset")
        preset = PRESETS[preset_name]
    try:
        columns = ColumnMap.build(preset, _mapping(mapping))
        zone = ZoneInfo(timezone)
        chosen = detect_format(path, file_format)
    except (ValueError, ZoneInfoNotFoundError) as error:
        raise typer.BadParameter(str(error)) from error
    if status not in STATUSES:
        raise typer.BadParameter(f"one of {', '.join(STATUSES)}", param_hint="--status")
    return ImportPlan(
        path=path, format=chosen, columns=columns, preset=preset, timezone=zone,
        batch_orders=batch_size, encoding=encoding, delimiter=delimiter, default_status=status,
    )  # fmt: skip


async def _run_import(plan: ImportPlan, tenant_slug: str) -> ImportReport:
    settings = load_settings()
    commerce = CommerceSettings()
    database = Database(settings)
    require_database_file(database)
    try:
        async with database.reader() as session:
            tenant = await tenant_by_slug(session, tenant_slug)
        if tenant is None:
            raise typer.BadParameter(f"no tenant {tenant_slug!r}", param_hint="--tenant")
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[orders]:,} orders"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(plan.path.name, total=None, orders=0)

            def advance(chunk: Chunk, report: ImportReport) -> None:
                progress.update(task, completed=chunk.done, total=chunk.total, orders=report.orders)

            return await import_file(
                database,
                tenant.id,
                plan,
                default_currency=commerce.default_currency,
                progress=advance,
            )
    finally:
        await database.dispose()


@importers.command("orders")
def import_orders(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    file_format: Annotated[
        FileFormat | None, typer.Option("--format", help="Default: from the file suffix")
    ] = None,
    preset: Annotated[
        str | None, typer.Option(help="A known layout, e.g. uci-online-retail")
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="FIELD=COLUMN, e.g. --map order_id=InvoiceNo (repeatable)"),
    ] = None,
    tenant: Annotated[str, typer.Option(help="Tenant slug")] = "default",
    batch_size: Annotated[
        int | None, typer.Option(min=1, max=100_000, help="Orders per batch (transaction)")
    ] = None,
    timezone: Annotated[str, typer.Option(help="Zone of timestamps without one")] = "UTC",
    encoding: Annotated[str, typer.Option(help="Text encoding of CSV files")] = "utf-8",
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter")] = None,
    status: Annotated[str, typer.Option(help="Status of rows without one")] = "completed",
) -> None:
    """Import orders from CSV, JSON lines or Parquet, one transaction per batch of orders."""
    size = batch_size or CommerceSettings().import_batch_orders
    plan = _plan(
        path, file_format, preset, mapping or [], timezone, size, encoding, delimiter, status
    )
    try:
        report = asyncio.run(_run_import(plan, tenant))
    except RowError as error:
        console.print(f"[red]{path.name}: {error}[/red]")
        console.print("The import stopped before writing: nothing of this file was written.")
        raise typer.Exit(1) from error
    except VantageError as error:
        console.print(f"[red]{error.detail or error}[/red]")
        raise typer.Exit(1) from error
    except LookupError as error:  # raised before anything is read or written
        console.print(f"[red]--encoding: {error}[/red]")
        raise typer.Exit(1) from error
    console.print(
        f"Imported {report.orders:,} orders ({report.created:,} new, {report.updated:,} updated, "
        f"{report.lines:,} lines) in {report.batches} batch(es)"
        + (f"; skipped {report.skipped:,} row(s) the preset ignores" if report.skipped else "")
    )

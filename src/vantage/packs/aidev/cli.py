"""Commands: ``vantage import traces FILE`` and ``vantage aidev formats``."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from vantage.config import load_settings
from vantage.core.auth.repository import tenant_by_slug
from vantage.core.db import Database
from vantage.packs.aidev.service.batches import BatchReport, TraceIngestor
from vantage.packs.aidev.service.importer import ImportPlan, import_traces
from vantage.packs.aidev.service.pricing import load_price_table
from vantage.packs.aidev.settings import AidevSettings
from vantage.packs.aidev.traces.formats import TraceFormat

console = Console(stderr=True)
cli = typer.Typer(help="AI-assisted development analytics.", no_args_is_help=True)
importers = typer.Typer()
SHOWN_REJECTIONS = 20


@cli.command()
def formats() -> None:
    """List the trace formats ``vantage import traces`` reads."""
    typer.echo("litellm: LiteLLM StandardLoggingPayload, one JSON object per line")
    typer.echo("spendlogs: rows of LiteLLM's SpendLogs table, one JSON object per line")
    typer.echo("otlp: OTLP JSON ExportTraceServiceRequest (GenAI or OpenInference spans)")


async def _run(path: Path, tenant_slug: str, declared: TraceFormat | None) -> BatchReport:
    settings = load_settings()
    aidev = AidevSettings()
    database = Database(settings)
    try:
        async with database.reader() as session:
            tenant = await tenant_by_slug(session, tenant_slug)
        if tenant is None:
            raise typer.BadParameter(f"no tenant {tenant_slug!r}", param_hint="--tenant")
        ingestor = TraceIngestor(
            database,
            load_price_table(aidev.pricing_file),
            timedelta(minutes=aidev.session_gap_minutes),
        )
        plan = ImportPlan(path, tenant.id, aidev.import_batch_lines, declared)
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[accepted]:,} new"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(path.name, total=None, accepted=0)

            def advance(done: int, total: int, report: BatchReport) -> None:
                progress.update(task, completed=done, total=total, accepted=report.accepted)

            return await import_traces(ingestor, plan, advance)
    finally:
        await database.dispose()


def _summary(report: BatchReport) -> None:
    console.print(
        f"accepted {report.accepted:,}, duplicate {report.duplicates:,}, "
        f"rejected {len(report.rejected):,}, ignored {report.ignored:,} (not LLM spans), "
        f"unpriced {report.unpriced:,}"
    )
    for line, reason in report.rejected[:SHOWN_REJECTIONS]:
        console.print(f"  line {line}: {reason}")
    if len(report.rejected) > SHOWN_REJECTIONS:
        console.print(f"  ... and {len(report.rejected) - SHOWN_REJECTIONS:,} more")


@importers.command("traces")
def import_traces_command(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    tenant: Annotated[str, typer.Option(help="Tenant slug")] = "default",
    trace_format: Annotated[
        TraceFormat | None, typer.Option("--format", help="Default: sniffed per record")
    ] = None,
) -> None:
    """Import LLM traces (JSON lines or one JSON document); bad lines are reported and skipped."""
    try:
        report = asyncio.run(_run(path, tenant, trace_format))
    except UnicodeDecodeError as error:
        console.print(f"[red]{path.name} is not UTF-8 text: {error}[/red]")
        raise typer.Exit(1) from error
    _summary(report)

"""``vantage delivery ...``: importing a local git history."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from vantage.core.auth.repository import tenant_by_slug
from vantage.core.cli_support import run_with_database
from vantage.core.db import Database
from vantage.core.errors import NotFound
from vantage.packs.delivery.git import log as git_log
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.service import git_import
from vantage.packs.delivery.settings import DeliverySettings

console = Console(stderr=True)
cli = typer.Typer(help="Engineering delivery: git and GitHub ingest, DORA.", no_args_is_help=True)
COMMITS_PER_TRANSACTION = 1000


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )


async def _import(
    database: Database,
    path: Path,
    *,
    tenant_slug: str,
    repository: str | None,
    service: str | None,
    pattern: str | None,
    revisions: list[str],
) -> str:
    async with database.reader() as session:
        tenant = await tenant_by_slug(session, tenant_slug)
    if tenant is None:
        raise NotFound(f"no tenant {tenant_slug!r}")
    try:
        full_name = repository or git_log.repository_name(path)
        commits = list(git_log.commits(path, revisions))
        tags = git_import.deploy_tags(git_log.tags(path), pattern)
    except git_log.GitError as error:
        raise typer.BadParameter(str(error), param_hint="PATH") from error
    pulls = git_import.pull_requests_in(commits)
    window = timedelta(hours=DeliverySettings().attribution_window_hours)
    async with database.transaction() as session:
        repository_id = (await records.add_repository(session, tenant.id, full_name)).id
    with _progress() as progress:
        task = progress.add_task(f"{full_name}: commits", total=len(commits))
        for start in range(0, len(commits), COMMITS_PER_TRANSACTION):
            batch = commits[start : start + COMMITS_PER_TRANSACTION]
            async with database.transaction() as session:
                await git_import.store_commits(session, tenant.id, repository_id, batch)
            progress.advance(task, len(batch))
        task = progress.add_task("pull requests and deployments", total=len(pulls) + len(tags))
        async with database.transaction() as session:
            await git_import.store_pull_requests(session, tenant.id, repository_id, pulls)
        progress.advance(task, len(pulls))
        target = service or full_name.split("/", 1)[1]
        for tag in tags:
            async with database.transaction() as session:
                await git_import.store_tag_deployment(
                    session, tenant.id, (repository_id, full_name), target, tag, window
                )
            progress.advance(task)
    return (
        f"{full_name}: {len(commits)} commits, {len(pulls)} pull requests, "
        f"{len(tags)} deployments (tags {pattern or 'none'})"
    )


@cli.command("import-git")
def import_git(
    path: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="A git work tree")],
    deploy_tags: Annotated[
        str | None, typer.Option(help="Tags matching this pattern are deployments, e.g. 'v*'")
    ] = None,
    repository: Annotated[
        str | None, typer.Option(help="owner/name (default: from the origin remote)")
    ] = None,
    service: Annotated[
        str | None, typer.Option(help="Service the tags deploy (default: the repository name)")
    ] = None,
    tenant: Annotated[str, typer.Option(help="Tenant slug")] = "default",
    all_refs: Annotated[
        bool, typer.Option("--all", help="Every branch and tag, not only HEAD and tags")
    ] = False,
) -> None:
    """Import commits, merged pull requests and release tags of a local git repository."""
    revisions = ["--all"] if all_refs else ["HEAD", "--tags"]
    summary = run_with_database(
        lambda database: _import(
            database, path, tenant_slug=tenant, repository=repository, service=service,
            pattern=deploy_tags, revisions=revisions,
        )
    )  # fmt: skip
    typer.echo(summary)

"""``vantage assist ...``: validate SQL files from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vantage.packs.assist.sql.catalog import Catalog
from vantage.packs.assist.sql.parsing import DIALECTS
from vantage.packs.assist.sql.validator import SqlValidator

cli = typer.Typer(help="Validation of AI-written SQL.", no_args_is_help=True)


@cli.command("validate")
def validate_file(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    dialect: Annotated[str, typer.Option(help="postgres or sqlite")] = "postgres",
) -> None:
    """Validate the one query in PATH against the analytics views; exit 1 when invalid."""
    chosen = next((known for known in DIALECTS if known == dialect), None)
    if chosen is None:
        raise typer.BadParameter(f"dialect must be one of {', '.join(DIALECTS)}")
    validation = SqlValidator(Catalog()).semantics(path.read_text(encoding="utf-8"), chosen)
    for finding in validation.findings:
        where = f"{finding.position.line}:{finding.position.column}"
        typer.echo(
            f"{path}:{where}: {finding.severity.value} {finding.code.value} {finding.message}"
        )
    typer.echo("valid" if validation.valid else "invalid")
    raise typer.Exit(0 if validation.valid else 1)

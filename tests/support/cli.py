"""Running ``vantage`` commands in-process against a test database."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import TEST_SECRET
from vantage.cli import build_cli


def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "VANTAGE_DATABASE_URL": database_url,
        "VANTAGE_DATA_DIR": str(tmp_path / "data"),
        "VANTAGE_JWT_SECRET": TEST_SECRET,
        "VANTAGE_LOG_LEVEL": "WARNING",
        "COLUMNS": "200",  # tables unwrapped
    }


def run_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """Exit code, standard output and standard error of one command (no installed packs)."""
    result = CliRunner().invoke(build_cli(packs={}), list(args), input=stdin, env=env)
    return result.exit_code, result.stdout, result.stderr

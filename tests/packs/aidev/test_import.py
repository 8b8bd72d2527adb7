"""``vantage import traces FILE``: JSON lines of any format, bad lines named and skipped, a
pretty-printed OTLP export, and a re-import that changes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.conftest import TEST_SECRET
from tests.packs.aidev.support import fixture_bytes
from vantage.cli import build_cli
from vantage.config import Settings
from vantage.core.db import Database
from vantage.packs.aidev import PACK
from vantage.packs.aidev.models import Trace


def _count(url: str) -> int:
    async def count() -> int:
        database = Database(Settings(database_url=url, jwt_secret=TEST_SECRET, _env_file=None))
        try:
            async with database.reader() as session:
                return int(await session.scalar(select(func.count()).select_from(Trace)) or 0)
        finally:
            await database.dispose()

    return asyncio.run(count())


@pytest.fixture
def cli(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("VANTAGE_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("VANTAGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VANTAGE_AIDEV_IMPORT_BATCH_LINES", "3")
    return CliRunner()


def test_json_lines_of_every_format_with_a_bad_line(
    cli: CliRunner, sqlite_url: str, tmp_path: Path
) -> None:
    lines = fixture_bytes("litellm_standard_logging_payload.jsonl").decode().splitlines()
    lines.insert(2, '{"model": "gpt-4o", "startTime": "yesterday"')
    lines += fixture_bytes("litellm_spend_logs.jsonl").decode().splitlines()
    lines.append(fixture_bytes("openinference_spans.json").decode().replace("\n", " "))
    path = tmp_path / "traces.jsonl"
    path.write_text("\n".join(lines) + "\n")
    app = build_cli({"aidev": PACK})
    result = cli.invoke(app, ["import", "traces", str(path)])
    assert result.exit_code == 0, result.output
    assert "accepted 10, duplicate 0, rejected 1, ignored 1" in result.output
    assert "line 3: not valid JSON" in result.output
    assert _count(sqlite_url) == 10
    again = cli.invoke(app, ["import", "traces", str(path)])
    assert "accepted 0, duplicate 10, rejected 1" in again.output
    assert _count(sqlite_url) == 10


def test_a_pretty_printed_otlp_export(cli: CliRunner, sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(fixture_bytes("otel_genai_spans.json"))
    result = cli.invoke(build_cli({"aidev": PACK}), ["import", "traces", str(path)])
    assert result.exit_code == 0, result.output
    assert "accepted 4, duplicate 0, rejected 0, ignored 1" in result.output
    assert _count(sqlite_url) == 4


def test_a_broken_first_line_is_rejected_alone(
    cli: CliRunner, sqlite_url: str, tmp_path: Path
) -> None:
    lines = fixture_bytes("litellm_standard_logging_payload.jsonl").decode().splitlines()
    path = tmp_path / "traces.jsonl"
    path.write_text("\n".join(["{oops", *lines]) + "\n")
    result = cli.invoke(build_cli({"aidev": PACK}), ["import", "traces", str(path)])
    assert result.exit_code == 0, result.output
    assert "accepted 6, duplicate 0, rejected 1" in result.output
    assert "line 1: not valid JSON" in result.output
    assert _count(sqlite_url) == 6


def test_an_unknown_tenant_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(fixture_bytes("otel_genai_spans.json"))
    result = cli.invoke(
        build_cli({"aidev": PACK}), ["import", "traces", str(path), "--tenant", "nope"]
    )
    assert result.exit_code == 2

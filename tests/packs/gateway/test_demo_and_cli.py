"""``vantage demo`` for the gateway (simulated provider, specialists, history) and its CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.conftest import ClientFactory
from tests.support.auth import app_of, user_headers
from tests.support.databases import sqlite_url_for
from vantage.cli import build_cli
from vantage.config import Settings
from vantage.core.auth.models import Role
from vantage.core.db import Database
from vantage.core.packs import DemoContext
from vantage.packs.gateway import PACK
from vantage.packs.gateway.demo import DEMO_SPECIALISTS, load_demo
from vantage.packs.gateway.models import UsageEvent


async def test_the_demo_works_out_of_the_box(
    client_for: ClientFactory, sqlite_url: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(database_url=sqlite_url)
    database = Database(settings)
    context = DemoContext(settings=settings, database=database, tenant_id=1, scale="small")
    summary = await load_demo(context)
    assert summary.startswith(f"{len(DEMO_SPECIALISTS)} specialists, 2000 new usage rows")
    assert (await load_demo(context)).endswith("0 new usage rows over 14 days")  # idempotent
    async with database.reader() as session:
        assert await session.scalar(select(func.count()).select_from(UsageEvent)) == 2000
    await database.dispose()

    async with client_for(sqlite_url, packs=[PACK]) as client:
        headers = await user_headers(app_of(client), Role.ANALYST)
        answer = await client.post(
            "/api/v1/chat/send",
            json={"specialist": "finance-analyst", "message": "How did margins move?"},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["provider"] == "simulated"
        assert answer.json()["estimated_cost_usd"] is not None  # sim-* models carry demo prices
        summary_by_specialist = await client.get(
            "/api/v1/usage/summary?group_by=specialist&days=15", headers=headers
        )
        assert summary_by_specialist.json()["totals"]["requests"] >= 2000


def test_check_config_validates_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VANTAGE_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    cli = build_cli({"gateway": PACK})
    result = runner.invoke(cli, ["gateway", "check-config"])
    assert result.exit_code == 0, result.output
    assert "simulated provider only" in result.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("providers:\n  - name: a\n    kind: azure\n")
    monkeypatch.setenv("VANTAGE_GATEWAY_CONFIG", str(broken))
    result = runner.invoke(cli, ["gateway", "check-config"])
    assert result.exit_code == 2
    assert "kind" in result.output


def test_replay_spool_command_stores_spooled_rows(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.packs.gateway.support import record
    from vantage.packs.gateway.usage.spool import UsageSpool

    database = tmp_path / "vantage.db"
    database.write_bytes(sqlite_template.read_bytes())
    spool = UsageSpool(tmp_path / "spool")
    spool.append([record() for _ in range(5)])
    spool.seal()
    monkeypatch.setenv("VANTAGE_DATABASE_URL", sqlite_url_for(database))
    monkeypatch.setenv("VANTAGE_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(
        build_cli({"gateway": PACK}),
        ["gateway", "replay-spool", "--directory", str(tmp_path / "spool")],
    )
    assert result.exit_code == 0, result.output
    assert "replayed 5 spooled usage rows" in result.output
    assert not list((tmp_path / "spool").glob("*.jsonl"))

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.support.servers import running_vantage
from vantage import __version__
from vantage.cli import build_cli

pytestmark = pytest.mark.serial


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("VANTAGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("VANTAGE_DATABASE_URL", raising=False)
    return CliRunner()


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(build_cli({}), ["version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_migrate_creates_and_reverts_the_database(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(build_cli({}), ["migrate"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "vantage.db").exists()
    down = runner.invoke(build_cli({}), ["migrate", "base", "--down"])
    assert down.exit_code == 0, down.output


@pytest.mark.timeout(600)  # three demo loads, two of them from scratch
def test_demo_login_is_random_per_data_dir_and_stable_within_one(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The login is the core's: one pack's demo data is enough (the full demo is served below).
    monkeypatch.setenv("VANTAGE_PACKS", "gateway")
    first = runner.invoke(build_cli({}), ["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(build_cli({}), ["demo", "--no-serve"])
    stored = json.loads((tmp_path / "data" / "demo-admin.json").read_text())
    assert stored["password"] in first.output and stored["password"] in again.output
    assert (tmp_path / "data" / "demo-admin.json").stat().st_mode & 0o077 == 0

    monkeypatch.setenv("VANTAGE_DATA_DIR", str(tmp_path / "elsewhere"))
    other = runner.invoke(build_cli({}), ["demo", "--no-serve"])
    assert other.exit_code == 0
    assert stored["password"] not in other.output


def test_invalid_configuration_is_reported_not_raised(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VANTAGE_ENV", "production")
    monkeypatch.delenv("VANTAGE_JWT_SECRET", raising=False)
    result = runner.invoke(build_cli({}), ["migrate"])
    assert result.exit_code == 2
    assert "JWT_SECRET" in result.output


def test_demo_serves_real_http_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {"VANTAGE_DATA_DIR": str(tmp_path / "data"), "VANTAGE_LOG_FORMAT": "json"}
    log = tmp_path / "server.log"
    # The demo loads every pack's demo data before it serves: the wait is a guard against a
    # hang, not a speed target (bench/ measures speed).
    with running_vantage(["demo"], env, tmp_path, log, ready_timeout=240) as (base, process, _):
        assert httpx.get(f"{base}/docs").status_code == 200
        assert "swagger" in httpx.get(f"{base}/docs").text.lower()
        missing = httpx.get(f"{base}/nope", headers={"X-Request-ID": "e2e-trace-1"})
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["request_id"] == "e2e-trace-1"
        metrics = httpx.get(f"{base}/metrics").text
        assert 'route="<unmatched>",status="404"' in metrics
        process.send_signal(signal.SIGTERM)
        # uvicorn drains, runs the shutdown, then re-raises SIGTERM so supervisors see it.
        assert process.wait(timeout=15) in (0, -signal.SIGTERM)

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    logged = [line for line in lines if line.get("request_id") == "e2e-trace-1"]
    assert logged and logged[0]["status"] == 404 and logged[0]["event"] == "request"
    events = [line["event"] for line in lines]
    assert events.index("stopping") < events.index("Application shutdown complete.")
    assert "Password" in log.read_text()

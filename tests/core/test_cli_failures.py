"""Failures a user causes end with one line and exit 1; ``--debug`` shows the traceback."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.cli import cli_env, run_cli
from tests.support.servers import free_port
from vantage.cli import build_cli
from vantage.packs.commerce import PACK as COMMERCE

PASSWORD = "hunter2-not-shown"


def _one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


@pytest.mark.parametrize("migrate_on_start", ["true", "false"])
def test_serve_against_an_unreachable_database_says_where_in_one_line(
    tmp_path: Path, migrate_on_start: str
) -> None:
    port = free_port()
    url = f"postgresql+asyncpg://vantage:{PASSWORD}@127.0.0.1:{port}/vantage"
    env = {**cli_env(url, tmp_path), "VANTAGE_MIGRATE_ON_START": migrate_on_start}
    code, out, err = run_cli(env, "serve", "--port", str(free_port()))
    assert code == 1
    line = _one_line(out + err)
    assert f"database at 127.0.0.1:{port}" in line and "VANTAGE_DATABASE_URL" in line
    assert PASSWORD not in out + err


def test_serve_against_an_unreachable_redis_says_where(sqlite_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **cli_env(sqlite_url, tmp_path),
        "VANTAGE_MIGRATE_ON_START": "false",
        "VANTAGE_REDIS_URL": f"redis://:{PASSWORD}@127.0.0.1:{port}/0",
    }
    code, out, err = run_cli(env, "serve", "--port", str(free_port()))
    assert code == 1
    line = _one_line(out + err)
    assert f"Redis at 127.0.0.1:{port}" in line and "VANTAGE_REDIS_URL" in line
    assert PASSWORD not in out + err


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://vantage:{PASSWORD}@127.0.0.1:{free_port()}/vantage"
    env = {**cli_env(url, tmp_path), "VANTAGE_MIGRATE_ON_START": "false"}
    result = CliRunner().invoke(build_cli(packs={}), ["--debug", "serve"], env=env)
    assert result.exit_code == 1
    assert result.exception is not None and not isinstance(result.exception, SystemExit)


def _orders_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "placed_at", "product_id", "quantity", "unit_price"])
        writer.writerow(["A1", "2025-03-01T10:00:00Z", "p1", "1", "1"])
        writer.writerows(rows)
    return path


def _import(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        build_cli({"commerce": COMMERCE}), ["import", "orders", *args], env=env
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_import_failures_name_the_file_line_and_field(sqlite_url: str, tmp_path: Path) -> None:
    env = cli_env(sqlite_url, tmp_path)
    undecodable = _orders_csv(
        tmp_path / "latin.csv", [["A2", "2025-03-01T10:00:00Z", "p2", "1", "1"]]
    )
    undecodable.write_bytes(undecodable.read_bytes().replace(b"p2", b"p\xe92"))
    code, output = _import(env, str(undecodable))
    assert code == 1 and "latin.csv: line 3: is not valid utf-8" in output, output

    code, output = _import(env, str(undecodable), "--encoding", "no-such-codec")
    assert code == 1 and "--encoding: unknown encoding: no-such-codec" in output, output

    overflow = _orders_csv(
        tmp_path / "far.csv", [["A2", "9999-12-31T23:59:59-01:00", "p", "1", "1"]]
    )
    code, output = _import(env, str(overflow))
    assert code == 1 and "far.csv: line 3, placed_at:" in output, output

    huge = _orders_csv(
        tmp_path / "huge.csv",
        [["A2", "2025-03-01T10:00:00Z", "p" * 200_000, "1", "1"], ["A3", "x", "p", "1", "1"]],
    )
    code, output = _import(env, str(huge))
    assert code == 1 and "huge.csv: line 3: unreadable: field larger" in output, output

    code, output = _import(env, str(undecodable), "--encoding", "latin-1")
    assert code == 0 and "Imported 2 orders" in output, output

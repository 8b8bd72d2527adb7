from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.support import testpack
from tests.support.auth import sign_in_as
from tests.support.packsite import write_testpack_site
from vantage.app import create_app
from vantage.cli import build_cli
from vantage.config import Settings
from vantage.core.packs import Pack, PackError, discover_packs, enabled_packs, select_packs


@pytest.fixture
def installed_testpack(tmp_path: Path) -> Iterator[None]:
    """Install the test pack as a third-party distribution would: dist-info + entry point."""
    site = write_testpack_site(tmp_path)
    sys.path.insert(0, str(site))
    try:
        yield
    finally:
        sys.path.remove(str(site))


def _pack(name: str, *depends_on: str) -> Pack:
    return Pack(name=name, title=name.title(), version="1.0", depends_on=depends_on)


def test_entry_point_discovery_finds_an_installed_pack(installed_testpack: None) -> None:
    packs = discover_packs()
    assert packs["testpack"] is testpack.PACK


async def test_discovered_pack_is_served_and_its_lifespan_runs(
    installed_testpack: None, make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    testpack.events.clear()
    app = create_app(make_settings(database_url=sqlite_url))
    async with app.router.lifespan_context(app):
        assert testpack.events == ["start"]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            client.app = app  # type: ignore[attr-defined]
            await sign_in_as(client)
            listed = (await client.get("/api/v1/packs")).json()["data"]
            served = next(pack for pack in listed if pack["name"] == "testpack")
            assert served["version"] == "9.9.9"
            assert "testpack" in (await client.get("/")).json()["packs"]
            assert (await client.get("/api/v1/testpack/tenants")).status_code == 200
    assert testpack.events == ["start", "stop"]


def test_pack_cli_is_mounted(installed_testpack: None) -> None:
    result = CliRunner().invoke(build_cli(), ["testpack", "hello", "world"])
    assert result.exit_code == 0, result.output
    assert "hello world from testpack" in result.output


def test_packs_setting_selects_and_rejects(
    installed_testpack: None, make_settings: Callable[..., Settings]
) -> None:
    assert [p.name for p in enabled_packs(make_settings(packs="testpack"))] == ["testpack"]
    assert enabled_packs(make_settings(packs=[]), packs=[testpack.PACK]) == []
    with pytest.raises(PackError, match=r"unknown pack.*nosuch.*installed: .*testpack"):
        enabled_packs(make_settings(packs="testpack,nosuch"))


def test_dependencies_come_first_and_must_be_enabled() -> None:
    available = {
        p.name: p
        for p in [_pack("aidev", "delivery", "gateway"), _pack("delivery"), _pack("gateway")]
    }
    order = [p.name for p in select_packs(available, None)]
    assert order.index("aidev") > order.index("delivery")
    assert order.index("aidev") > order.index("gateway")
    with pytest.raises(PackError, match="needs pack 'delivery'"):
        select_packs(available, ["aidev", "gateway"])


def test_dependency_cycles_are_refused() -> None:
    with pytest.raises(PackError, match="cycle"):
        select_packs({"a": _pack("a", "b"), "b": _pack("b", "a")}, None)


def test_a_broken_entry_point_names_itself(tmp_path: Path) -> None:
    site = tmp_path / "site"
    dist_info = site / "broken-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text("[vantage.packs]\nbroken = no_such_module:PACK\n")
    sys.path.insert(0, str(site))
    try:
        with pytest.raises(PackError, match="'broken' failed to load"):
            discover_packs()
    finally:
        sys.path.remove(str(site))


def test_a_bundled_pack_loads_only_when_its_pack_is_read() -> None:
    """In a fresh interpreter: a pack's submodule imports without its routes; ``PACK`` builds
    the pack; any other name is an AttributeError naming the package."""
    probe = (
        "import sys\n"
        "import vantage.packs.gateway.providers.base\n"
        "print('vantage.packs.gateway.pack' in sys.modules)\n"
        "import vantage.packs.gateway as gateway\n"
        "print(gateway.PACK.name, 'vantage.packs.gateway.pack' in sys.modules)\n"
        "try:\n"
        "    gateway.NOT_THERE\n"
        "except AttributeError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [
        "False",
        "gateway True",
        "module 'vantage.packs.gateway' has no attribute 'NOT_THERE'",
    ]

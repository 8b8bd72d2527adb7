"""The installed command line loads a pack only when one of its commands is named, and a
process serving some packs loads only those."""

from __future__ import annotations

import json
import subprocess
import sys

import typer
from typer.testing import CliRunner

from vantage.cli import build_cli
from vantage.core.packs import discover_packs, installed_pack_names, installed_pack_title

# Runs the installed command tree in a fresh interpreter and reports which packs got loaded.
PROBE = """
import json, sys
from typer.testing import CliRunner
from vantage.cli import build_cli
result = CliRunner().invoke(build_cli(), sys.argv[1:])
loaded = sorted(name.split(".")[2] for name in sys.modules
                if name.startswith("vantage.packs.") and name.endswith(".pack"))
print(json.dumps({"exit_code": result.exit_code, "loaded": loaded}))
"""

# Selects the packs named on the command line as the server does and reports which got loaded.
SELECT_PROBE = """
import json, sys
from vantage.config import Settings
from vantage.core.packs import enabled_packs
enabled = [pack.name for pack in enabled_packs(Settings(packs=sys.argv[1]))]
loaded = sorted(name.split(".")[2] for name in sys.modules
                if name.startswith("vantage.packs.") and name.endswith(".pack"))
print(json.dumps({"enabled": enabled, "loaded": loaded}))
"""


def _loaded_by(*args: str, probe: str = PROBE) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_a_core_command_loads_no_pack() -> None:
    assert _loaded_by("version") == {"exit_code": 0, "loaded": []}


def test_help_lists_the_packs_without_loading_any() -> None:
    assert _loaded_by("--help") == {"exit_code": 0, "loaded": []}


def test_a_pack_command_loads_that_pack_alone() -> None:
    assert _loaded_by("commerce", "--help") == {"exit_code": 0, "loaded": ["commerce"]}


def test_a_process_serving_some_packs_loads_only_those() -> None:
    assert _loaded_by("commerce", probe=SELECT_PROBE) == {
        "enabled": ["commerce"],
        "loaded": ["commerce"],
    }


def _tree(command: typer.Typer) -> dict[str, list[str]]:
    """Every group's sub-command names, two levels deep, resolving lazy ones."""
    root = typer.main.get_group(command)
    context = typer.Context(root)
    tree: dict[str, list[str]] = {}
    for name in root.list_commands(context):
        found = root.get_command(context, name)
        if found is not None:
            tree[name] = sorted(getattr(found, "commands", {}))
    return tree


def test_the_lazy_tree_is_the_tree_of_every_installed_pack() -> None:
    lazy = _tree(build_cli())
    assert lazy == _tree(build_cli(discover_packs()))
    assert set(installed_pack_names()) <= set(lazy) and "orders" in lazy["import"]


def test_help_lists_every_pack_and_an_unknown_command_is_refused() -> None:
    runner = CliRunner()
    listed = runner.invoke(build_cli(), ["--help"])
    assert listed.exit_code == 0
    assert all(name in listed.output for name in [*installed_pack_names(), "import"])
    assert all(pack.title in listed.output for pack in discover_packs().values())
    unknown = runner.invoke(build_cli(), ["nosuchpack"])
    assert unknown.exit_code == 2 and "No such command" in unknown.output


def test_a_title_read_without_loading_is_the_loaded_packs_title() -> None:
    for name, pack in discover_packs().items():
        assert installed_pack_title(name) == pack.title

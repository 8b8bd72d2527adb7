"""The pack protocol and registry: packs plug in through the ``vantage.packs`` entry point group."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter, FastAPI
    from pydantic_settings import BaseSettings

    from vantage.config import Settings
    from vantage.core.compat import CompatSurface
    from vantage.core.context import CoreServices
    from vantage.core.db import Database
    from vantage.core.jobs.kinds import JobHandler, Schedule
    from vantage.core.realtime.channels import ChannelSpec

ENTRY_POINT_GROUP = "vantage.packs"
DemoScale = Literal["small", "medium", "large"]


class PackError(RuntimeError):
    """A pack could not be loaded, or the selection of packs is inconsistent."""


@dataclass(frozen=True)
class PackContext:
    """What a pack's lifespan receives: the app and the core's typed services."""

    app: FastAPI
    core: CoreServices

    @property
    def settings(self) -> Settings:
        return self.core.settings

    @property
    def database(self) -> Database:
        return self.core.database


@dataclass(frozen=True)
class DemoContext:
    """What a pack's demo loader receives; ``progress(done, total)`` drives the progress bar."""

    settings: Settings
    database: Database
    tenant_id: int
    scale: DemoScale
    progress: Callable[[int, int], None] = lambda done, total: None


@dataclass(frozen=True)
class WebPage:
    """A pack's page in the web UI: one Jinja template and one ES module, served by the shell."""

    title: str
    template: Path
    script: Path

    @classmethod
    def beside(cls, module_file: str, title: str) -> WebPage:
        """The page kept as ``web/page.html`` and ``web/page.js`` next to ``module_file``."""
        directory = Path(module_file).resolve().parent / "web"
        return cls(title=title, template=directory / "page.html", script=directory / "page.js")


@dataclass(frozen=True)
class Pack:
    """A domain pack: its routes, tables, lifespan, demo data and CLI commands."""

    name: str
    title: str
    version: str
    description: str = ""
    router: APIRouter | None = None
    models: Sequence[str] = ()
    lifespan: Callable[[PackContext], AbstractAsyncContextManager[None]] | None = None
    demo: Callable[[DemoContext], Awaitable[str]] | None = None
    cli: typer.Typer | None = None
    # Commands mounted under ``vantage import`` (e.g. ``vantage import orders FILE``).
    importers: typer.Typer | None = None
    depends_on: Sequence[str] = field(default_factory=tuple)
    # A pydantic-settings class with env prefix VANTAGE_<PACK>_, documented in CONFIGURATION.md.
    settings: type[BaseSettings] | None = None
    # Background job kinds ("pack.action" -> handler) and the cron schedules that enqueue them.
    jobs: Mapping[str, JobHandler] = field(default_factory=dict, hash=False)
    schedules: Sequence[Schedule] = field(default_factory=tuple, hash=False)
    channels: Sequence[ChannelSpec] = ()
    # The pack's page in the web UI (see docs/WEB.md); None: the pack has no page.
    web: WebPage | None = None
    # The URLs of the system this pack replaces, answered by its own routes (docs/COMPAT.md).
    compat: CompatSurface | None = None

    def import_models(self) -> None:
        """Import the modules that declare this pack's tables, so they join the metadata."""
        for module in self.models:
            importlib.import_module(module)


def lazy_pack(package: str) -> Callable[[str], Any]:
    """A pack package's module ``__getattr__``: ``PACK`` is built by ``<package>.pack``'s
    ``build_pack()`` on first access (the entry point reads it), so importing one of the pack's
    modules does not load its routes, SDKs and CLI."""

    def pack_attribute(name: str) -> Any:
        if name == "PACK":
            return importlib.import_module(f"{package}.pack").build_pack()
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return pack_attribute


def _load_entry_point(entry: Any) -> Pack:
    try:
        loaded = entry.load()
    except Exception as error:
        raise PackError(f"pack entry point {entry.name!r} failed to load: {error}") from error
    pack = loaded() if callable(loaded) and not isinstance(loaded, Pack) else loaded
    if not isinstance(pack, Pack):
        raise PackError(f"entry point {entry.name!r} does not name a vantage Pack")
    if pack.name != entry.name:
        raise PackError(f"entry point {entry.name!r} names a pack called {pack.name!r}")
    return pack


def installed_pack_names() -> list[str]:
    """The names of the installed packs, without loading any of them."""
    return sorted({entry.name for entry in entry_points(group=ENTRY_POINT_GROUP)})


def _installed_entry(name: str) -> Any:
    found = [entry for entry in entry_points(group=ENTRY_POINT_GROUP) if entry.name == name]
    if len(found) != 1:
        raise PackError(f"{len(found)} installed packs are called {name!r}")
    return found[0]


def load_installed_pack(name: str) -> Pack:
    """The installed pack called ``name``, alone."""
    return _load_entry_point(_installed_entry(name))


def installed_pack_title(name: str) -> str:
    """The title of the installed pack called ``name``: its module's ``TITLE`` when it has one,
    which needs no pack built, else the built pack's."""
    entry = _installed_entry(name)
    title = getattr(importlib.import_module(entry.module), "TITLE", None)
    return title if isinstance(title, str) else _load_entry_point(entry).title


def discover_packs() -> dict[str, Pack]:
    """Every pack installed in this environment, by name."""
    packs: dict[str, Pack] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in packs:
            raise PackError(f"two installed packs are called {entry.name!r}")
        packs[entry.name] = _load_entry_point(entry)
    return packs


def _dependency_order(selected: dict[str, Pack]) -> list[Pack]:
    ordered: list[Pack] = []
    state: dict[str, str] = {}

    def visit(pack: Pack, trail: tuple[str, ...]) -> None:
        if state.get(pack.name) == "done":
            return
        if state.get(pack.name) == "visiting":
            raise PackError(f"packs depend on each other in a cycle: {' -> '.join(trail)}")
        state[pack.name] = "visiting"
        for dependency in pack.depends_on:
            if dependency not in selected:
                raise PackError(
                    f"pack {pack.name!r} needs pack {dependency!r}, which is not enabled"
                )
            visit(selected[dependency], (*trail, dependency))
        state[pack.name] = "done"
        ordered.append(pack)

    for name in sorted(selected):
        visit(selected[name], (name,))
    return ordered


def select_packs(available: dict[str, Pack], requested: Iterable[str] | None) -> list[Pack]:
    """The enabled packs in dependency order; all available ones when nothing is requested."""
    if requested is None:
        return _dependency_order(dict(available))
    names = _known(requested, available)
    return _dependency_order({name: available[name] for name in names})


def _known(requested: Iterable[str], installed: Iterable[str]) -> list[str]:
    """The requested names, each once; refused when one is not installed."""
    names, known = list(dict.fromkeys(requested)), set(installed)
    unknown = [name for name in names if name not in known]
    if unknown:
        listed = ", ".join(sorted(known)) or "none"
        raise PackError(f"unknown pack(s) {', '.join(unknown)}; installed: {listed}")
    return names


def enabled_packs(settings: Settings, packs: Sequence[Pack] | None = None) -> list[Pack]:
    """The packs this process serves: the given ones, or the installed ones ``PACKS`` selects
    (only those are loaded: a process serving one pack does not import the others)."""
    if packs is not None:
        available = {pack.name: pack for pack in packs}
    elif settings.packs is None:
        available = discover_packs()
    else:
        names = _known(settings.packs, installed_pack_names())
        available = {name: load_installed_pack(name) for name in names}
    return select_packs(available, settings.packs)

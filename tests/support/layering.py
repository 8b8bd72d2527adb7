"""The layering rules of the pack skeleton, checked on the source tree.

Run as ``python -m tests.support.layering src/vantage``: every violation is printed as
``path:line: rule: detail`` and the exit status is 1 when there is any.

- ``core-imports-pack``: ``<root>.core`` never imports ``<root>.packs``, ``<root>.app`` or
  ``<root>.cli``.
- ``cross-pack-import``: a pack imports another pack only through its ``service`` package.
- ``api-imports-storage``: modules under an ``api`` package never import their owner's
  ``repository`` or ``models``.
- ``service-imports-web``: modules under a ``service`` package (or a ``service.py``) never
  import FastAPI or Starlette.
- ``sql-outside-repository``: SQL statement constructs are used only under a ``repository``
  package (or a ``repository.py``) and in the core's database modules.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

CORE_IMPORTS_PACK = "core-imports-pack"
CROSS_PACK_IMPORT = "cross-pack-import"
API_IMPORTS_STORAGE = "api-imports-storage"
SERVICE_IMPORTS_WEB = "service-imports-web"
SQL_OUTSIDE_REPOSITORY = "sql-outside-repository"

SQL_CONSTRUCTS = frozenset({"select", "insert", "update", "delete", "text"})
SQL_MODULES = frozenset(
    {"sqlalchemy", "sqlalchemy.sql", "sqlalchemy.sql.expression", "sqlalchemy.future"}
)
DIALECT_MODULES = frozenset(
    {"sqlalchemy.dialects.postgresql", "sqlalchemy.dialects.sqlite", "sqlalchemy.dialects.mysql"}
)
WEB_FRAMEWORKS = ("fastapi", "starlette")
# Modules (relative to the root package) that own the database plumbing itself.
DATABASE_MODULES = ("core.db", "core.repository", "core.dialect", "core.migrations", "migrations")
REPOSITORY_PARTS = frozenset({"repository"})
SERVICE_PARTS = frozenset({"service", "services"})


@dataclass(frozen=True, order=True)
class Violation:
    """One broken rule at one line."""

    path: Path
    line: int
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.detail}"


@dataclass(frozen=True)
class ImportedName:
    """A module (or a name in a module) that a source line imports."""

    target: str
    line: int


@dataclass(frozen=True)
class Module:
    """One source file and its dotted name."""

    path: Path
    name: str
    is_package: bool

    @property
    def parts(self) -> tuple[str, ...]:
        """The dotted name, split."""
        return tuple(self.name.split("."))

    @property
    def package(self) -> str:
        """The package relative imports resolve against."""
        return self.name if self.is_package else self.name.rpartition(".")[0]


def modules_under(root: Path) -> Iterator[Module]:
    """Every Python module under the package directory ``root``, named from ``root``'s name."""
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).with_suffix("")
        parts = [root.name, *relative.parts]
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        yield Module(path=path, name=".".join(parts), is_package=is_package)


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imported_names(module: Module, tree: ast.AST) -> Iterator[ImportedName]:
    """Each imported module, and for ``from a import b`` the dotted ``a.b``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield ImportedName(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            for alias in node.names:
                yield ImportedName(f"{source}.{alias.name}", node.lineno)


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _core_imports_pack(module: Module, root: str, imported: ImportedName) -> Violation | None:
    if not _within(module.name, f"{root}.core"):
        return None
    for forbidden in (f"{root}.packs", f"{root}.app", f"{root}.cli"):
        if _within(imported.target, forbidden):
            return Violation(
                module.path, imported.line, CORE_IMPORTS_PACK, f"imports {imported.target}"
            )
    return None


def _pack_of(name: str, root: str) -> tuple[str, ...] | None:
    parts = name.split(".")
    if parts[:2] != [root, "packs"] or len(parts) < 3:
        return None
    return tuple(parts[2:])


def _cross_pack(module: Module, root: str, imported: ImportedName) -> Violation | None:
    own = _pack_of(module.name, root)
    target = _pack_of(imported.target, root)
    if own is None or target is None or target[0] == own[0]:
        return None
    if len(target) > 1 and target[1] == "service":
        return None
    return Violation(
        module.path,
        imported.line,
        CROSS_PACK_IMPORT,
        f"imports {imported.target}; another pack is reached only through its service package",
    )


def _api_imports_storage(module: Module, imported: ImportedName) -> Violation | None:
    parts = module.parts
    if "api" not in parts[:-1] and not (module.is_package and parts[-1] == "api"):
        return None
    owner = ".".join(parts[: parts.index("api")])
    for storage in (f"{owner}.repository", f"{owner}.models"):
        if _within(imported.target, storage):
            return Violation(
                module.path, imported.line, API_IMPORTS_STORAGE, f"imports {imported.target}"
            )
    return None


def _is_under(module: Module, names: frozenset[str]) -> bool:
    return any(part in names for part in module.parts[1:])


def _service_imports_web(module: Module, imported: ImportedName) -> Violation | None:
    if not _is_under(module, SERVICE_PARTS):
        return None
    for framework in WEB_FRAMEWORKS:
        if _within(imported.target, framework):
            return Violation(
                module.path, imported.line, SERVICE_IMPORTS_WEB, f"imports {imported.target}"
            )
    return None


def _may_use_sql(module: Module, root: str) -> bool:
    if _is_under(module, REPOSITORY_PARTS):
        return True
    return any(_within(module.name, f"{root}.{allowed}") for allowed in DATABASE_MODULES)


def _sql_construct(dotted: str) -> str | None:
    source, _, name = dotted.rpartition(".")
    if name in SQL_CONSTRUCTS and source in SQL_MODULES:
        return dotted
    if name == "insert" and source in DIALECT_MODULES:
        return dotted
    return None


def _module_aliases(tree: ast.AST, module: Module) -> dict[str, str]:
    """Local names bound to SQLAlchemy modules (``import sqlalchemy as sa`` -> ``sa``)."""
    aliases: dict[str, str] = {}
    interesting = SQL_MODULES | DIALECT_MODULES
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in interesting:
                    aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            for alias in node.names:
                if f"{source}.{alias.name}" in interesting:
                    aliases[alias.asname or alias.name] = f"{source}.{alias.name}"
    return aliases


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _sql_uses(module: Module, tree: ast.AST) -> Iterator[tuple[int, str]]:
    for imported in imported_names(module, tree):
        construct = _sql_construct(imported.target)
        if construct:
            yield imported.line, construct
    aliases = _module_aliases(tree, module)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        dotted = _dotted(node)
        if dotted is None:
            continue
        head, _, rest = dotted.partition(".")
        if head in aliases and rest:
            construct = _sql_construct(f"{aliases[head]}.{rest}")
            if construct:
                yield node.lineno, construct


def check_module(module: Module, root: str) -> list[Violation]:
    """Every rule ``module`` breaks."""
    tree = ast.parse(module.path.read_text(encoding="utf-8"), filename=str(module.path))
    found: list[Violation] = []
    for imported in imported_names(module, tree):
        for violation in (
            _core_imports_pack(module, root, imported),
            _cross_pack(module, root, imported),
            _api_imports_storage(module, imported),
            _service_imports_web(module, imported),
        ):
            if violation is not None:
                found.append(violation)
    if not _may_use_sql(module, root):
        found.extend(
            Violation(module.path, line, SQL_OUTSIDE_REPOSITORY, f"uses {construct}")
            for line, construct in _sql_uses(module, tree)
        )
    return found


def check_tree(root: Path) -> list[Violation]:
    """Every violation in the package directory ``root``, sorted by place."""
    found: list[Violation] = []
    for module in modules_under(root):
        found.extend(check_module(module, root.name))
    return sorted(set(found))


def main(argv: Sequence[str] | None = None) -> int:
    """Check each package directory given; 1 when anything is broken."""
    roots = [Path(arg) for arg in (argv if argv is not None else sys.argv[1:])] or [
        Path("src/vantage")
    ]
    violations = [violation for root in roots for violation in check_tree(root)]
    for violation in violations:
        print(violation)
    return 1 if violations else 0


if __name__ == "__main__":
    raise SystemExit(main())

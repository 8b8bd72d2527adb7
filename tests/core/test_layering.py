"""The layering checker: one deliberate violation per rule is reported, a clean tree passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import layering

CLEAN_TREE = {
    "__init__.py": "",
    "app.py": "from vantage.core import db\nfrom vantage.packs.alpha import pack\n",
    "core/__init__.py": "",
    "core/db.py": "from sqlalchemy import text\nPING = text('SELECT 1')\n",
    "core/context.py": "from fastapi import Depends\nfrom vantage.core.db import PING\n",
    "core/jobs/repository.py": "from sqlalchemy import select, update\n",
    "core/jobs/service.py": "from vantage.core.jobs import repository\n",
    "core/auth/api/tokens.py": (
        "from fastapi import APIRouter\nfrom vantage.core.auth.service import tokens\n"
    ),
    "core/auth/service/tokens.py": "from vantage.core.auth.repository import tokens\n",
    "core/auth/repository/tokens.py": "import sqlalchemy as sa\nQUERY = sa.select(1)\n",
    "migrations/versions/0001.py": "from sqlalchemy import text\n",
    "packs/__init__.py": "",
    "packs/alpha/__init__.py": "",
    "packs/alpha/pack.py": "from vantage.packs.alpha.api import router\n",
    "packs/alpha/models.py": "from sqlalchemy import Integer\n",
    "packs/alpha/schemas.py": "from pydantic import BaseModel\n",
    "packs/alpha/api/__init__.py": "from .orders import router\n",
    "packs/alpha/api/orders.py": (
        "from fastapi import APIRouter\n"
        "from vantage.packs.alpha.service import orders\n"
        "from vantage.packs.alpha import schemas\n"
        "from vantage.core.db import PING\n"
    ),
    "packs/alpha/service/__init__.py": "",
    "packs/alpha/service/orders.py": (
        "from vantage.packs.alpha.repository import orders\n"
        "from vantage.packs.alpha import models\n"
    ),
    "packs/alpha/repository/__init__.py": "",
    "packs/alpha/repository/orders.py": (
        "from sqlalchemy import delete, insert, select\n"
        "from sqlalchemy.dialects import postgresql\n"
        "UPSERT = postgresql.insert\n"
    ),
    "packs/beta/__init__.py": "",
    "packs/beta/service/report.py": (
        "from vantage.packs.alpha.service.orders import totals\n"
        "from vantage.packs.alpha import service\n"
    ),
    "packs/beta/repository.py": "from sqlalchemy.dialects.sqlite import insert\n",
}

# One deliberate violation per rule, each in a module of its own.
VIOLATIONS = {
    "core/leak.py": "from vantage.packs.alpha.service import orders\n",
    "packs/beta/service/peek.py": "from vantage.packs.alpha.models import Order\n",
    "packs/alpha/api/peek.py": "from ..repository import orders\n",
    "packs/alpha/service/web.py": "import json\nfrom starlette.requests import Request\n",
    "packs/alpha/service/raw.py": (
        "from sqlalchemy.dialects import postgresql\n\n\nSTATEMENT = postgresql.insert\n"
    ),
}

EXPECTED = [
    ("core/leak.py", 1, layering.CORE_IMPORTS_PACK, "vantage.packs.alpha.service.orders"),
    ("packs/alpha/api/peek.py", 1, layering.API_IMPORTS_STORAGE, "vantage.packs.alpha.repository"),
    (
        "packs/alpha/service/raw.py",
        4,
        layering.SQL_OUTSIDE_REPOSITORY,
        "sqlalchemy.dialects.postgresql.insert",
    ),
    ("packs/alpha/service/web.py", 2, layering.SERVICE_IMPORTS_WEB, "starlette.requests"),
    ("packs/beta/service/peek.py", 1, layering.CROSS_PACK_IMPORT, "vantage.packs.alpha.models"),
]


def _write_tree(base: Path, files: dict[str, str]) -> Path:
    root = base / "vantage"
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root


def test_a_clean_tree_has_no_violation(tmp_path: Path) -> None:
    root = _write_tree(tmp_path, CLEAN_TREE)
    assert layering.check_tree(root) == []
    assert layering.main([str(root)]) == 0


def test_each_rule_reports_its_violation(tmp_path: Path) -> None:
    root = _write_tree(tmp_path, CLEAN_TREE | VIOLATIONS)
    found = layering.check_tree(root)
    summary = [
        (violation.path.relative_to(root).as_posix(), violation.line, violation.rule)
        for violation in found
    ]
    assert summary == [(path, line, rule) for path, line, rule, _ in EXPECTED]
    for violation, (_, _, _, named) in zip(found, EXPECTED, strict=True):
        assert named in violation.detail


def test_violations_are_printed_one_per_line_and_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _write_tree(
        tmp_path,
        CLEAN_TREE | {"packs/beta/service/peek.py": VIOLATIONS["packs/beta/service/peek.py"]},
    )
    assert layering.main([str(root)]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        f"{root / 'packs/beta/service/peek.py'}:1: {layering.CROSS_PACK_IMPORT}: imports "
        "vantage.packs.alpha.models.Order; another pack is reached only through its service "
        "package"
    ]


@pytest.mark.parametrize(
    "source",
    [
        "import sqlalchemy as sa\n\nQUERY = sa.select(1)\n",
        "import sqlalchemy\n\nQUERY = sqlalchemy.text('SELECT 1')\n",
        "from sqlalchemy.sql import expression\n\nQUERY = expression.delete\n",
        "from sqlalchemy.dialects.sqlite import insert as upsert\n",
    ],
)
def test_sql_is_found_whatever_the_import_form(tmp_path: Path, source: str) -> None:
    root = _write_tree(tmp_path, CLEAN_TREE | {"packs/alpha/service/raw.py": source})
    rules = {violation.rule for violation in layering.check_tree(root)}
    assert rules == {layering.SQL_OUTSIDE_REPOSITORY}


def test_the_core_keeps_the_rules() -> None:
    source = Path(__file__).resolve().parents[2] / "src" / "vantage"
    core = source / "core"
    leaks = [str(v) for v in layering.check_tree(source) if v.path.is_relative_to(core)]
    assert leaks == []

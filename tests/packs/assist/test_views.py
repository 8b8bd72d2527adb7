"""Every analytics view runs on both databases with the columns it declares, and the delivery
views show only the caller's rows."""

from __future__ import annotations

import pytest

from tests.packs.assist.conftest import Analyst
from tests.packs.assist.delivery_data import Issue, feed
from tests.support.auth import app_of
from vantage.packs.assist.repository.execution import ExecutionLimits, execute_read_only
from vantage.packs.assist.sql.catalog import DEFAULT_VIEWS, AnalyticsView, view

LIMITS = ExecutionLimits(timeout_ms=2_000, max_rows=5)


@pytest.mark.parametrize("declared", DEFAULT_VIEWS, ids=lambda v: v.name)
async def test_each_view_has_the_columns_it_declares(
    analyst: Analyst, declared: AnalyticsView
) -> None:
    database = app_of(analyst.client).state.database
    sql = f"SELECT * FROM {declared.name}"  # noqa: S608 - names from the catalog
    result = await execute_read_only(database, sql, analyst.tenant_id, DEFAULT_VIEWS, LIMITS)
    assert tuple(result.columns) == declared.column_names


def test_a_view_declaration_reads_its_column_table() -> None:
    declared = view(
        "delivery_things", "One row per thing", "delivery_a delivery_b",
        """
        thing_id  text     the thing's id
        size      integer  how big, in units
        """,
    )  # fmt: skip
    assert (declared.pack, declared.base_tables) == ("delivery", ("delivery_a", "delivery_b"))
    assert declared.column_names == ("thing_id", "size")
    assert declared.columns[1].description == "how big, in units"
    with pytest.raises(ValueError, match="unknown type 'float'"):
        view("x_y", "", "x", "size float how big")


async def test_delivery_views_show_the_callers_rows_only(
    analyst: Analyst, other_analyst: Analyst
) -> None:
    await feed(analyst.client, analyst.tenant_id, [Issue(1, "Ours", points=3)], [(2, "Our PR")])
    await feed(analyst.client, other_analyst.tenant_id, [Issue(5, "Theirs", points=8)])
    sql = (
        "SELECT w.title, w.story_points, w.finished, p.title FROM delivery_work_items AS w "
        "LEFT JOIN delivery_pull_requests AS p ON p.repository = w.repository"
    )
    mine = await analyst.post("/query", {"sql": sql})
    assert mine.status_code == 200, mine.text
    [[title, points, finished, pull_request]] = mine.json()["rows"]
    assert (title, float(points), bool(finished), pull_request) == ("Ours", 3.0, True, "Our PR")
    theirs = (await other_analyst.post("/query", {"sql": sql})).json()["rows"]
    assert [(row[0], row[3]) for row in theirs] == [("Theirs", None)]

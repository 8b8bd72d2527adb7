"""The demo loader goes through the services, and what it loads shows what it should."""

from __future__ import annotations

from tests.packs.assist.conftest import Analyst
from tests.support.auth import app_of
from vantage.core.db import Database
from vantage.core.packs import DemoContext
from vantage.packs.assist.demo import MODELS, load_demo


def _demo_context(analyst: Analyst, progress: list[tuple[int, int]]) -> DemoContext:
    app = app_of(analyst.client)
    database: Database = app.state.database
    return DemoContext(
        settings=app.state.settings, database=database, tenant_id=analyst.tenant_id,
        scale="small", progress=lambda done, total: progress.append((done, total)),
    )  # fmt: skip


async def _total(analyst: Analyst, path: str) -> int:
    response = await analyst.client.get(path, params={"limit": 1}, headers=analyst.headers)
    assert response.status_code == 200, response.text
    total: int = response.json()["pagination"]["total"]
    return total


async def test_demo_data_shows_drift_anomalies_and_memory(analyst: Analyst) -> None:
    progress: list[tuple[int, int]] = []
    summary = await load_demo(_demo_context(analyst, progress))
    assert summary.startswith("200 new learning entries") and progress[-1][0] == progress[-1][1]

    performance = await analyst.client.get(
        "/api/v1/ml/performance", params={"days": 7}, headers=analyst.headers
    )
    models = {m["model"]: m for m in performance.json()["models"]}
    assert set(models) == set(MODELS)
    churn = models["churn-classifier"]
    x_drift = next(d for d in churn["drift"] if d["feature"] == "x")
    stable = next(d for d in churn["drift"] if d["feature"] == "tenure_months")
    assert x_drift["psi"] > 0.1 > stable["psi"]
    assert 0.75 < churn["accuracy"] < 0.95

    found = await analyst.client.get(
        "/api/v1/ml/anomalies", params={"days": 7}, headers=analyst.headers
    )
    alerts = {(a["model"], a["metric"]) for a in found.json()["anomalies"]}
    assert ("demand-forecast", "mape") in alerts
    assert ("churn-classifier", "error_rate") in alerts

    healing = await analyst.client.get(
        "/api/v1/ai/learning/healing-suggestions",
        params={
            "sql": "SELECT statuz, SUM(amount) AS revenue FROM commerce_orders GROUP BY statuz"
        },
        headers=analyst.headers,
    )
    assert healing.json()["suggestions"][0]["sql"].startswith("SELECT status, SUM(amount)")


async def test_loading_the_demo_again_adds_nothing_twice(analyst: Analyst) -> None:
    await load_demo(_demo_context(analyst, []))
    memory = await _total(analyst, "/api/v1/ml/learning-memory")
    predictions = await _total(analyst, "/api/v1/ml/predictions")
    again = await load_demo(_demo_context(analyst, []))
    assert again.startswith("0 new learning entries, 0 new predictions")
    assert await _total(analyst, "/api/v1/ml/learning-memory") == memory == 200
    assert await _total(analyst, "/api/v1/ml/predictions") == predictions
    # Entries someone else recorded are not the demo's: they do not stand in for them.
    body = {"question": "orders per day", "sql": "SELECT day FROM commerce_orders"}
    recorded = await analyst.client.post(
        "/api/v1/ml/learning-memory",
        json=body | {"outcome": "success"},
        headers=analyst.admin_headers,
    )
    assert recorded.status_code == 200, recorded.text
    await load_demo(_demo_context(analyst, []))
    assert await _total(analyst, "/api/v1/ml/learning-memory") == 201

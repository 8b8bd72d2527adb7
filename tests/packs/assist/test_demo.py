"""The demo loader goes through the services, and what it loads shows what it should."""

from __future__ import annotations

from tests.packs.assist.conftest import Analyst
from tests.support.auth import app_of
from vantage.core.db import Database
from vantage.core.packs import DemoContext
from vantage.packs.assist.demo import MODELS, load_demo


async def test_demo_data_shows_drift_anomalies_and_memory(analyst: Analyst) -> None:
    app = app_of(analyst.client)
    database: Database = app.state.database
    progress: list[tuple[int, int]] = []
    context = DemoContext(
        settings=app.state.settings, database=database, tenant_id=analyst.tenant_id,
        scale="small", progress=lambda done, total: progress.append((done, total)),
    )  # fmt: skip
    summary = await load_demo(context)
    assert summary.startswith("200 learning entries") and progress[-1][0] == progress[-1][1]

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

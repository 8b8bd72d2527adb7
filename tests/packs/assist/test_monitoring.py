"""ML monitoring over HTTP: predictions, outcomes, performance by hand, anomalies, tenants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.packs.assist.conftest import Analyst

ML = "/api/v1/ml"


def _prediction(n: int, label: str, *, value: float, latency: float, x: float) -> dict[str, Any]:
    at = datetime.now(UTC) - timedelta(hours=1)
    return {
        "model": "churn",
        "prediction_id": f"p{n}",
        "predicted_at": at.isoformat(),
        "predicted_label": label,
        "predicted_value": value,
        "latency_ms": latency,
        "features": {"x": x},
        "failed": n == 4,
    }


async def _post(analyst: Analyst, path: str, body: object) -> Any:
    response = await analyst.client.post(ML + path, json=body, headers=analyst.admin_headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_performance_by_hand(analyst: Analyst, other_analyst: Analyst) -> None:
    predictions = [
        _prediction(1, "1", value=1.0, latency=10, x=0.1),
        _prediction(2, "1", value=2.0, latency=20, x=0.2),
        _prediction(3, "0", value=3.0, latency=30, x=0.3),
        _prediction(4, "0", value=4.0, latency=40, x=0.4),
    ]
    first = await _post(analyst, "/predictions", {"predictions": predictions})
    assert first == {"received": 4, "inserted": 4, "duplicates": 0}
    again = await _post(analyst, "/predictions", {"predictions": predictions[:2]})
    assert again == {"received": 2, "inserted": 0, "duplicates": 2}
    outcomes = [
        {"model": "churn", "prediction_id": "p1", "actual_label": "1", "actual_value": 1.5},
        {"model": "churn", "prediction_id": "p2", "actual_label": "0", "actual_value": 2.0},
        {"model": "churn", "prediction_id": "p3", "actual_label": "1", "actual_value": 5.0},
        {"model": "churn", "prediction_id": "nope", "actual_label": "1"},
    ]
    recorded = await _post(analyst, "/predictions/outcomes", {"outcomes": outcomes})
    assert recorded == {"updated": 3, "unknown": ["nope"]}

    response = await analyst.client.get(ML + "/performance", headers=analyst.headers)
    assert response.status_code == 200, response.text
    [churn] = response.json()["models"]
    # p1: 1/1 (tp), p2: 1/0 (fp), p3: 0/1 (fn), p4: no outcome, failed.
    assert churn["predictions"] == 4 and churn["failed"] == 1
    assert churn["error_rate"] == 0.25
    assert churn["with_outcome"] == 3
    assert churn["accuracy"] == pytest.approx(1 / 3)
    assert churn["precision"] == 0.5 and churn["recall"] == 0.5
    assert churn["mae"] == pytest.approx((0.5 + 0.0 + 2.0) / 3)
    assert churn["rmse"] == pytest.approx(((0.25 + 0 + 4) / 3) ** 0.5)
    assert churn["latency_ms"] == {"p50": 25.0, "p95": pytest.approx(38.5), "mean": 25.0}
    assert churn["drift"][0]["feature"] == "x"
    assert churn["drift"][0]["baseline_count"] == 0 and churn["drift"][0]["psi"] is None

    theirs = await other_analyst.client.get(ML + "/performance", headers=other_analyst.headers)
    assert theirs.json()["models"] == []
    listed = await other_analyst.client.get(ML + "/predictions", headers=other_analyst.headers)
    assert listed.json()["pagination"]["total"] == 0
    mine = await analyst.client.get(ML + "/predictions", headers=analyst.headers)
    assert mine.json()["pagination"]["total"] == 4


async def test_anomalies_from_reported_points(analyst: Analyst, other_analyst: Analyst) -> None:
    today = datetime.now(UTC).date()
    values = [100.0, 104.0, 98.0, 101.0, 99.0, 103.0, 97.0, 102.0]
    points = [
        {"model": "ranker", "metric": "ndcg", "day": (today - timedelta(weeks=w + 1)).isoformat(),
         "value": value}
        for w, value in enumerate(values)
    ]  # fmt: skip
    points.append({"model": "ranker", "metric": "ndcg", "day": today.isoformat(), "value": 60.0})
    assert (await _post(analyst, "/anomalies", {"points": points})) == {"stored": 9}
    response = await analyst.client.get(ML + "/anomalies", headers=analyst.headers)
    assert response.status_code == 200, response.text
    [alert] = response.json()["anomalies"]
    assert (alert["model"], alert["metric"], alert["direction"]) == ("ranker", "ndcg", "low")
    assert date.fromisoformat(alert["day"]) == today
    assert alert["baseline_median"] == 100.5
    theirs = await other_analyst.client.get(ML + "/anomalies", headers=other_analyst.headers)
    assert theirs.json()["anomalies"] == []


async def test_bad_input_is_422_and_changes_nothing(analyst: Analyst) -> None:
    naive = {**_prediction(1, "1", value=1, latency=1, x=1), "predicted_at": "2025-01-01T00:00:00"}
    response = await analyst.client.post(
        ML + "/predictions", json={"predictions": [naive]}, headers=analyst.admin_headers
    )
    assert response.status_code == 422
    listed = await analyst.client.get(ML + "/predictions", headers=analyst.headers)
    assert listed.json()["pagination"]["total"] == 0
    valid = _prediction(1, "1", value=1, latency=1, x=1)
    reader = await analyst.client.post(
        ML + "/predictions", json={"predictions": [valid]}, headers=analyst.headers
    )
    assert reader.status_code == 403  # analysts read and analyze; recording needs ingest


async def test_reads_are_conditional_on_the_data_version(analyst: Analyst) -> None:
    first = await analyst.client.get(ML + "/performance", headers=analyst.headers)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("private")
    same = await analyst.client.get(
        ML + "/performance", headers={**analyst.headers, "If-None-Match": etag}
    )
    assert same.status_code == 304
    other_window = await analyst.client.get(
        ML + "/performance", params={"days": 30}, headers={**analyst.headers, "If-None-Match": etag}
    )
    assert other_window.status_code == 200
    prediction = _prediction(9, "1", value=1, latency=1, x=1)
    await _post(analyst, "/predictions", {"predictions": [prediction]})
    changed = await analyst.client.get(
        ML + "/performance", headers={**analyst.headers, "If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.json()["models"][0]["predictions"] == 1

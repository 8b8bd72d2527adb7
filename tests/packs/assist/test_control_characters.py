"""Control characters in assist requests: a 422 naming the field, nothing stored, every backend."""

from __future__ import annotations

from tests.packs.assist.conftest import Analyst

ML = "/api/v1/ml"
PLACED = "2025-03-01T10:00:00Z"


async def _post(analyst: Analyst, path: str, body: object) -> list[list[object]]:
    response = await analyst.client.post(path, json=body, headers=analyst.admin_headers)
    assert response.status_code == 422, response.text
    return [error["loc"] for error in response.json()["errors"]]


async def test_predictions_refuse_control_characters_and_store_nothing(analyst: Analyst) -> None:
    good = {"model": "churn", "prediction_id": "p1", "predicted_at": PLACED}
    bad = [
        {**good, "model": "churn\x00"},
        {**good, "prediction_id": "p\x1b2"},
        {**good, "predicted_label": "yes\x00"},
        {**good, "features": {"age\x00": 1.0}},
    ]
    locs = await _post(analyst, f"{ML}/predictions", {"predictions": [good, *bad]})
    assert {tuple(loc[:4]) for loc in locs} == {
        ("body", "predictions", 1, "model"),
        ("body", "predictions", 2, "prediction_id"),
        ("body", "predictions", 3, "predicted_label"),
        ("body", "predictions", 4, "features"),
    }
    listed = await analyst.client.get(f"{ML}/predictions", headers=analyst.headers)
    assert listed.json()["data"] == []
    outcome = {"model": "churn", "prediction_id": "p1", "actual_label": "no\x00"}
    assert await _post(analyst, f"{ML}/predictions/outcomes", {"outcomes": [outcome]}) == [
        ["body", "outcomes", 0, "actual_label"]
    ]
    point = {"model": "churn", "metric": "auc\x00", "day": "2025-03-01", "value": 0.9}
    assert await _post(analyst, f"{ML}/anomalies", {"points": [point]}) == [
        ["body", "points", 0, "metric"]
    ]


async def test_learning_entries_keep_newlines_and_refuse_nul(analyst: Analyst) -> None:
    entry = {"question": "Orders?", "sql": "SELECT 1\x00", "outcome": "success"}
    locs = await _post(analyst, "/api/v1/ai/learning/record-feedback", entry)
    assert locs == [["body", "sql"]]
    listed = await analyst.client.get(f"{ML}/learning-memory", headers=analyst.headers)
    assert listed.json()["data"] == []
    entry["sql"] = "SELECT 1\n\tFROM sales"
    kept = await analyst.client.post(
        "/api/v1/ai/learning/record-feedback", json=entry, headers=analyst.admin_headers
    )
    assert kept.status_code in (200, 201), kept.text


async def test_validation_search_and_estimates_refuse_nul(analyst: Analyst) -> None:
    for path, body, field in (
        ("/estimate/story-points", {"title": "Fix\x00 login"}, "title"),
        ("/validate/data-structure", {"data": {}, "view": "sales\x00"}, "view"),
    ):
        response = await analyst.post(path, body)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["loc"] == ["body", field], path
    similar = await analyst.client.post(
        "/api/v1/search/similar", json={"text": "late\x00 orders"}, headers=analyst.headers
    )
    assert similar.status_code == 422, similar.text

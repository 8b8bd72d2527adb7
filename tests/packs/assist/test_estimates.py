"""Story point estimates: the weighted neighbours and the leave-one-out error, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tests.packs.assist.conftest import Analyst
from tests.packs.assist.delivery_data import Issue, feed
from tests.support.auth import app_of, create_tenant
from vantage.packs.assist.search.estimates import estimate, leave_one_out_mae

URL = "/api/v1/ai/estimate/story-points"
HISTORY = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
POINTS = np.array([1.0, 5.0, 3.0])


def test_the_estimate_weighs_the_nearest_points_by_similarity() -> None:
    # Similarities to (1, 0): 1, 0 and 0.6; the two nearest give (1*1 + 0.6*3) / 1.6.
    guess, found = estimate(HISTORY, POINTS, np.array([1.0, 0.0], dtype=np.float32), 2)
    assert [n.position for n in found] == [0, 2]
    assert guess == pytest.approx(1.75)


def test_the_leave_one_out_error_estimates_each_item_from_the_others() -> None:
    # Row 0 from rows 2 (0.6) and 1 (0): 3, off by 2. Row 1 from rows 2 (0.8) and 0 (0): 3,
    # off by 2. Row 2 from rows 1 (0.8) and 0 (0.6): 4.6 / 1.4, off by 0.2857.
    assert leave_one_out_mae(HISTORY, POINTS, 2) == pytest.approx((2 + 2 + 2 / 7) / 3)
    assert leave_one_out_mae(HISTORY[:1], POINTS[:1], 2) is None


def test_the_leave_one_out_error_equals_estimating_each_item_by_hand() -> None:
    # Repeated vectors tie: the error must pick the same neighbours as ``estimate`` does.
    rng = np.random.default_rng(7)
    base = rng.normal(size=(40, 8)).astype(np.float32)
    history = np.vstack([base, base[:15]])
    history /= np.linalg.norm(history, axis=1, keepdims=True)
    points = rng.integers(1, 9, size=len(history)).astype(np.float64)
    for k in (1, 3, 10, len(history)):
        errors = []
        for row in range(len(history)):
            others = np.delete(np.arange(len(history)), row)
            guess, _ = estimate(history[others], points[others], history[row], k)
            errors.append(abs(guess - points[row]))
        assert leave_one_out_mae(history, points, k) == pytest.approx(np.mean(errors))


def test_neighbours_that_weigh_nothing_give_the_plain_mean() -> None:
    guess, _ = estimate(HISTORY[1:2], POINTS[1:2], np.array([1.0, 0.0], dtype=np.float32), 3)
    assert guess == pytest.approx(5.0)


def test_only_neighbours_similar_enough_count() -> None:
    # Similarities to (1, 0): 1, 0 and 0.6; at least 0.7 leaves row 0 alone.
    guess, found = estimate(HISTORY, POINTS, np.array([1.0, 0.0], dtype=np.float32), 2, 0.7)
    assert [n.position for n in found] == [0]
    assert guess == pytest.approx(1.0)
    # (-1, 0) is unlike every row: no estimate at all, rather than the mean of strangers.
    unlike = np.array([-1.0, 0.0], dtype=np.float32)
    assert estimate(HISTORY, POINTS, unlike, 3, 0.3) == (None, [])


def test_the_leave_one_out_error_skips_items_without_a_similar_enough_neighbour() -> None:
    # At least 0.7: row 0's others are 0.6 and 0 alike, no estimate; row 1 <- row 2 (0.8): 3,
    # off by 2; row 2 <- row 1 (0.8): 5, off by 2.
    assert leave_one_out_mae(HISTORY, POINTS, 2, 0.7) == pytest.approx(2.0)
    assert leave_one_out_mae(HISTORY, POINTS, 2, 0.9) is None


MIGRATE = "Migrate the billing database schema"
TYPO = "Typo in the readme footer"


async def test_the_endpoint_estimates_from_finished_items_with_points(planner: Analyst) -> None:
    await feed(
        planner.client,
        planner.tenant_id,
        [
            Issue(1, MIGRATE, points=8), Issue(2, MIGRATE, points=5), Issue(3, MIGRATE, points=5),
            Issue(4, TYPO, points=1), Issue(5, TYPO, points=2), Issue(6, TYPO, points=3),
            Issue(7, MIGRATE, points=13, finished=False),  # open: not history
            Issue(8, MIGRATE),  # finished without points: not history
        ],
    )  # fmt: skip
    response = await planner.client.post(
        URL, json={"title": MIGRATE, "k": 2}, headers=planner.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # Issues 1 to 3 are equally near (the same text): ties go to the older, so 1 and 2.
    assert [(n["number"], n["story_points"]) for n in body["neighbours"]] == [(1, 8.0), (2, 5.0)]
    assert body["neighbours"][0]["similarity"] == pytest.approx(1.0, abs=1e-5)
    assert body["story_points"] == pytest.approx(6.5)
    # Leave one out, k = 2: 1 <- (5, 5) off by 3; 2, 3 <- (8, 5) off by 1.5; 4 <- (2, 3) off
    # by 1.5; 5 <- (1, 3) exact; 6 <- (1, 2) off by 1.5. Mean 9 / 6.
    assert (body["loo_mae"], body["n"], body["reason"]) == (pytest.approx(1.5), 6, None)


async def test_without_history_there_is_no_estimate_and_a_reason(planner: Analyst) -> None:
    await feed(planner.client, planner.tenant_id, [Issue(1, MIGRATE, points=3, finished=False)])
    response = await planner.client.post(URL, json={"title": MIGRATE}, headers=planner.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["story_points"], body["neighbours"], body["n"]) == (None, [], 0)
    assert "no finished work item" in body["reason"]


async def test_nothing_similar_enough_is_no_estimate(planner: Analyst) -> None:
    history = [Issue(1, MIGRATE, points=8), Issue(2, TYPO, points=1), Issue(3, TYPO, points=2)]
    await feed(planner.client, planner.tenant_id, history)
    response = await planner.client.post(URL, json={"title": "x"}, headers=planner.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["story_points"], body["neighbours"], body["n"]) == (None, [], 3)
    assert "no finished work item is similar enough" in body["reason"]
    # The history's own error is still given: the typos estimate each other.
    assert body["loo_mae"] == pytest.approx(1.0)


async def test_estimates_learn_from_the_callers_history_only(planner: Analyst) -> None:
    other = await create_tenant(app_of(planner.client))
    await feed(planner.client, other.id, [Issue(1, MIGRATE, points=8)])
    response = await planner.client.post(URL, json={"title": MIGRATE}, headers=planner.headers)
    assert response.json()["n"] == 0


async def test_without_the_delivery_pack_the_answer_says_so(analyst: Analyst) -> None:
    response = await analyst.client.post(URL, json={"title": MIGRATE}, headers=analyst.headers)
    assert response.status_code == 200, response.text
    assert "delivery pack is not running" in response.json()["reason"]


@pytest.mark.parametrize(
    "body", [{}, {"title": ""}, {"title": "x", "k": 0}, {"title": "x", "extra": 1}, {"title": 3}]
)
async def test_bad_requests_are_422(planner: Analyst, body: object) -> None:
    response = await planner.client.post(URL, json=body, headers=planner.headers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")

"""``vantage demo`` for assist: learning memory and monitored models, fed through the services."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, time, timedelta

from vantage.core.packs import DemoContext
from vantage.packs.assist.schemas import (
    FeedbackIn,
    MetricPointIn,
    MetricPointsIn,
    OutcomeBatchIn,
    OutcomeIn,
    PredictionBatchIn,
    PredictionIn,
)
from vantage.packs.assist.search.embedders import LexicalEmbedder
from vantage.packs.assist.search.index import ExactIndex
from vantage.packs.assist.search.memory import MemoryIndexes
from vantage.packs.assist.service import anomalies, memory, monitoring

# (learning entries, predictions per model and day) per scale.
SCALES = {"small": (200, 40), "medium": (1_000, 200), "large": (5_000, 1_000)}
DAYS = 63
MODELS = ("churn-classifier", "fraud-classifier", "demand-forecast")
BATCH = 2_000
DEMO_RECORDER = "demo"

QUESTIONS = (
    ("revenue by status", "SELECT status, SUM(amount) AS revenue FROM commerce_orders GROUP BY status"),
    ("orders per day", "SELECT day, COUNT(*) AS orders FROM commerce_orders GROUP BY day ORDER BY day"),
    ("top products by units", "SELECT product_id, SUM(quantity) AS units FROM commerce_order_lines GROUP BY product_id ORDER BY units DESC LIMIT 10"),
    ("cost per model", "SELECT model, SUM(cost_usd) AS cost FROM gateway_usage GROUP BY model"),
    ("error rate per provider", "SELECT provider, SUM(errors) * 1.0 / SUM(requests) AS error_rate FROM gateway_usage_daily GROUP BY provider"),
    ("slowest models", "SELECT model, AVG(latency_ms) AS latency FROM gateway_usage GROUP BY model ORDER BY latency DESC LIMIT 5"),
)  # fmt: skip
# The same questions as an assistant first got them wrong, with the misspelling fixed later.
MISSPELLINGS = {"status": "statuz", "model": "modle", "quantity": "quantty", "provider": "provder"}


def _feedback(rng: random.Random, index: int) -> FeedbackIn:
    question, sql = QUESTIONS[index % len(QUESTIONS)]
    phrasing = rng.choice(("", "show ", "what is the ", "list "))
    if rng.random() < 0.3:
        correct, misspelt = rng.choice(list(MISSPELLINGS.items()))
        broken = sql.replace(correct, misspelt, 1) if correct in sql else sql + " LIMIT"
        return FeedbackIn(
            question=phrasing + question,
            sql=broken,
            outcome="corrected",
            error_message="unknown column" if correct in sql else "syntax error at end of input",
            corrected_sql=sql,
            corrections=["fixed by the analyst"],
        )
    return FeedbackIn(question=phrasing + question, sql=sql, outcome="success", rating=5)


def _predictions(rng: random.Random, model: str, day: int, count: int) -> list[PredictionIn]:
    start = datetime.combine(datetime.now(UTC).date(), time.min, tzinfo=UTC)
    start -= timedelta(days=DAYS - day)
    drifted = day >= DAYS - 7  # the last week's inputs come from a shifted population
    failing = day == DAYS - 3  # one bad day, for the anomaly detector
    rows = []
    for n in range(count):
        x = rng.gauss(0.6 if drifted else 0.0, 1.0)
        score = 1 / (1 + math.exp(-x))
        rows.append(
            PredictionIn(
                model=model,
                prediction_id=f"{day}-{n}",
                predicted_at=start + timedelta(seconds=rng.randrange(86_400)),
                predicted_label="1" if score > 0.5 else "0",
                predicted_value=round(100 + 40 * x, 3),
                score=round(score, 6),
                features={"x": round(x, 6), "tenure_months": float(rng.randrange(1, 60))},
                latency_ms=round(rng.lognormvariate(3.0, 0.4) * (4 if failing else 1), 3),
                failed=rng.random() < (0.3 if failing else 0.01),
            )
        )
    return rows


def _outcomes(rng: random.Random, predictions: list[PredictionIn]) -> list[OutcomeIn]:
    outcomes = []
    for prediction in predictions:
        if rng.random() < 0.7 and prediction.predicted_label is not None:
            right = rng.random() < 0.85
            label = (
                prediction.predicted_label if right else str(1 - int(prediction.predicted_label))
            )
            value = (prediction.predicted_value or 0) + rng.gauss(0, 8)
            outcomes.append(
                OutcomeIn(
                    model=prediction.model,
                    prediction_id=prediction.prediction_id,
                    actual_label=label,
                    actual_value=round(value, 3),
                )
            )
    return outcomes


async def _record_learning_entries(context: DemoContext, rng: random.Random, entries: int) -> int:
    """Record the demo's entries that are not stored yet; how many were new. Entries carry no
    id of their own, so those already present are counted by their recorder: a second run
    (or a larger scale after a smaller one) records only the rest. Every entry is drawn
    either way, so the random stream that follows is the same on every run."""
    feedback = [_feedback(rng, index) for index in range(entries)]
    async with context.database.reader() as session:
        present = await memory.count_recorded_by(session, context.tenant_id, DEMO_RECORDER)
    embedder = LexicalEmbedder()
    indexes = MemoryIndexes(embedder, ExactIndex.backend, lambda *_: ExactIndex(embedder.dimension))
    async with context.database.transaction() as session:
        for item in feedback[present:]:
            await memory.record_feedback(
                session, indexes, context.tenant_id, item,
                dialect="sqlite" if context.database.sqlite_path else "postgres",
                recorded_by=DEMO_RECORDER, max_sql_bytes=100 * 1024,
            )  # fmt: skip
    return max(0, entries - present)


async def load_demo(context: DemoContext) -> str:
    """Learning entries, predictions with outcomes for three models, reported metric points;
    run again, it adds none of them twice."""
    entries, per_day = SCALES[context.scale]
    rng = random.Random(42)
    total = entries + len(MODELS) * DAYS
    new_entries = await _record_learning_entries(context, rng, entries)
    context.progress(entries, total)
    predictions = 0
    for model_number, model in enumerate(MODELS):
        for day in range(DAYS):
            rows = _predictions(rng, model, day, per_day)
            async with context.database.transaction() as session:
                for start in range(0, len(rows), BATCH):
                    chunk = rows[start : start + BATCH]
                    # Deduplicated on model and prediction id: a second run adds none.
                    recorded = await monitoring.record_predictions(
                        session, context.tenant_id, PredictionBatchIn(predictions=chunk)
                    )
                    predictions += recorded.inserted
                    outcomes = _outcomes(rng, chunk)
                    if outcomes:
                        await monitoring.record_outcomes(
                            session, context.tenant_id, OutcomeBatchIn(outcomes=outcomes)
                        )
            context.progress(entries + model_number * DAYS + day + 1, total)
    today = datetime.now(UTC).date()
    points = [
        MetricPointIn(
            model="demand-forecast", metric="mape", day=today - timedelta(days=back),
            value=round(12 + rng.gauss(0, 0.5) + (9 if back == 2 else 0), 3),
        )
        for back in range(DAYS)
    ]  # fmt: skip
    async with context.database.transaction() as session:
        await anomalies.record_metric_points(
            session, context.tenant_id, MetricPointsIn(points=points)
        )
    return (
        f"{new_entries:,} new learning entries, {predictions:,} new predictions of "
        f"{len(MODELS)} models over {DAYS} days (drift in the last week, one bad day), "
        f"{len(points)} metric points"
    )

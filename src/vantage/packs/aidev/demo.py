"""Demo data: developers, their sessions and LLM requests, sent as LiteLLM payloads through
the same ingest path real traces take.

Ground truth (documented in docs/packs/aidev.md): ``days`` days ending today; each developer
works on weekdays (a quarter of them also on Saturdays) in one to three sessions a day, 3-12
requests 1-8 minutes apart, each session carrying a session id; 3 % of requests fail;
a shown suggestion is accepted with probability 0.25 + 0.15 x the developer's skill (0..1);
each developer works in one or two repositories; models are gpt-4o-mini, claude-3-5-sonnet
and an unpriced in-house model (``acme-coder-1``). On the last weekday at least two days ago
every developer opens six sessions more than usual, about four times a day's requests (a planted
anomaly, past the detector's bar whatever the weekday).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from vantage.core.packs import DemoContext
from vantage.packs.aidev.service.batches import BatchReport, TraceIngestor
from vantage.packs.aidev.service.pricing import load_price_table
from vantage.packs.aidev.settings import AidevSettings
from vantage.packs.aidev.traces.bodies import Unit
from vantage.packs.aidev.traces.formats import read_record

SCALES = {"small": (5, 45), "medium": (12, 60), "large": (40, 90)}
MODELS = (
    ("gpt-4o-mini", "openai", 0.5),
    ("claude-3-5-sonnet-20241022", "anthropic", 0.35),
    ("acme-coder-1", "acme", 0.15),
)
REPOSITORIES = ("web-frontend", "billing-service", "data-pipeline", "mobile-app", "infra")
FAILURE_RATE = 0.03
SEED = 20261204
# Sessions each developer adds on the busy day, over an ordinary day's one to three: enough for
# a spike past the detector's bar whichever weekday it falls on (about four times the usual).
BUSY_EXTRA_SESSIONS = 6


@dataclass(frozen=True)
class DemoDeveloper:
    email: str
    skill: float
    repositories: tuple[str, ...]
    works_saturday: bool


def developers(count: int, rng: random.Random) -> list[DemoDeveloper]:
    """The demo's developers."""
    return [
        DemoDeveloper(
            email=f"dev{index + 1}@example.com",
            skill=rng.random(),
            repositories=tuple(rng.sample(REPOSITORIES, rng.choice((1, 2)))),
            works_saturday=index % 4 == 0,
        )
        for index in range(count)
    ]


def _payload(
    developer: DemoDeveloper, at: datetime, session_key: str, rng: random.Random
) -> dict[str, Any]:
    model, provider, _ = rng.choices(MODELS, weights=[m[2] for m in MODELS])[0]
    failed = rng.random() < FAILURE_RATE
    shown = 0 if failed else rng.choice((0, 1, 1, 2))
    accept_p = 0.25 + 0.15 * developer.skill
    accepted = sum(rng.random() < accept_p for _ in range(shown))
    prompt, completion = rng.randint(200, 4000), 0 if failed else rng.randint(50, 1200)
    seconds = rng.uniform(0.5, 12.0)
    return {
        "litellm_call_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "call_type": "acompletion",
        "status": "failure" if failed else "success",
        "custom_llm_provider": provider,
        "model": f"{provider}/{model}",
        "startTime": at.timestamp(),
        "endTime": (at + timedelta(seconds=seconds)).timestamp(),
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "response_cost": None,
        "end_user": developer.email,
        "session_id": session_key,
        "metadata": {
            "requester_metadata": {
                "repository": rng.choice(developer.repositories),
                "suggestions_shown": shown,
                "suggestions_accepted": accepted,
            }
        },
    }


def _works_on(developer: DemoDeveloper, day: datetime) -> bool:
    weekday = day.weekday()
    return weekday < 5 or (weekday == 5 and developer.works_saturday)


def day_payloads(
    team: list[DemoDeveloper], day: datetime, busy: bool, rng: random.Random
) -> list[dict[str, Any]]:
    """Every request of one day; on the busy day each developer opens six sessions more."""
    payloads = []
    for developer in team:
        if not _works_on(developer, day):
            continue
        for _ in range(rng.randint(1, 3) + (BUSY_EXTRA_SESSIONS if busy else 0)):
            at = day + timedelta(hours=rng.uniform(8, 18))
            key = f"demo-{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}"
            for _ in range(rng.randint(3, 12)):
                payloads.append(_payload(developer, at, key, rng))
                at += timedelta(minutes=rng.uniform(1, 8))
    return payloads


def busy_day(today: datetime) -> datetime:
    """The day of the planted anomaly: the last weekday at least two days before ``today``."""
    day = today - timedelta(days=2)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


async def load_demo(context: DemoContext) -> str:
    """Generate and ingest the demo's requests; returns a one-line summary."""
    count, days = SCALES[context.scale]
    settings = AidevSettings()
    rng = random.Random(SEED)
    team = developers(count, rng)
    ingestor = TraceIngestor(
        context.database,
        load_price_table(settings.pricing_file),
        timedelta(minutes=settings.session_gap_minutes),
    )
    today = datetime.combine(datetime.now(UTC).date(), time.min, tzinfo=UTC)
    busy = busy_day(today)
    report = BatchReport()
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        payloads = day_payloads(team, day, day == busy, rng)
        units = [Unit(index, read_record(p, "litellm")) for index, p in enumerate(payloads)]
        report.add(await ingestor.write(context.tenant_id, units))
        context.progress(days - offset + 1, days)
    return (
        f"{report.accepted:,} LLM requests of {count} developers over {days} days "
        f"({report.duplicates:,} already present, {report.unpriced:,} unpriced)"
    )

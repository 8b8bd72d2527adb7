"""Demo data: specialists on the simulated provider, and two weeks of usage history.

History rows go through the writer's own insert (idempotent by request id, rollup in the same
transaction), with request ids derived from their position, so loading the demo twice adds
nothing the second time.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

from vantage.core.db import utcnow
from vantage.core.packs import DemoContext
from vantage.packs.gateway.domain.config_file import SIMULATED_PROVIDER
from vantage.packs.gateway.domain.pricing import PricingTable, default_pricing
from vantage.packs.gateway.models import Specialist
from vantage.packs.gateway.repository import specialists as specialist_repo
from vantage.packs.gateway.repository.usage_writes import insert_usage
from vantage.packs.gateway.service.identity import UserHasher, derive_user_hash_key
from vantage.packs.gateway.settings import GatewaySettings
from vantage.packs.gateway.usage.record import Endpoint, UsageRecord, UsageStatus

DEMO_NAMESPACE = uuid.UUID("5b0c6f34-3f44-4f4e-9a59-6d0d6f8b7a10")
ROWS_BY_SCALE = {"small": 2_000, "medium": 20_000, "large": 200_000}
HISTORY_DAYS = 14
BATCH = 500
DEMO_USERS = [
    f"{name}@demo.vantage.invalid"
    for name in ("ana", "bo", "chen", "dara", "eli", "fatima", "gus", "hana", "ivo", "jun")
]

DEMO_SPECIALISTS: list[dict[str, Any]] = [
    {
        "slug": "finance-analyst",
        "name": "Finance analyst",
        "description": "Explains revenue, margins and variances in plain words.",
        "system_prompt": "You are a careful financial analyst. Answer with figures and caveats.",
        "model": "sim-analyst-1",
        "temperature": 0.2,
        "max_tokens": 600,
        "fallbacks": [f"{SIMULATED_PROVIDER}/sim-fast-1"],
        "allowed_roles": [],
    },
    {
        "slug": "forecaster",
        "name": "Forecaster",
        "description": "Projects cash flow and revenue scenarios.",
        "system_prompt": "You build forecasts. State assumptions before numbers.",
        "model": "sim-forecast-1",
        "temperature": 0.4,
        "max_tokens": 800,
        "fallbacks": [],
        "allowed_roles": [],
    },
    {
        "slug": "risk-reviewer",
        "name": "Risk reviewer",
        "description": "Reviews exposure and liquidity; for analysts and admins.",
        "system_prompt": "You review financial risk. Flag exposures and their likelihood.",
        "model": "sim-analyst-1",
        "temperature": 0.0,
        "max_tokens": 500,
        "fallbacks": [f"{SIMULATED_PROVIDER}/sim-fast-1"],
        "allowed_roles": ["analyst", "admin"],
    },
    {
        "slug": "quick-answers",
        "name": "Quick answers",
        "description": "Short answers, fast.",
        "system_prompt": "Answer in two sentences at most.",
        "model": "sim-fast-1",
        "temperature": 0.7,
        "max_tokens": 200,
        "fallbacks": [],
        "allowed_roles": [],
    },
]


async def _ensure_specialists(context: DemoContext) -> list[Specialist]:
    rows = []
    async with context.database.transaction() as session:
        for spec in DEMO_SPECIALISTS:
            row = await specialist_repo.specialist_by_slug(session, context.tenant_id, spec["slug"])
            if row is None:
                row = await specialist_repo.add_specialist(
                    session,
                    Specialist(
                        tenant_id=context.tenant_id,
                        provider=SIMULATED_PROVIDER,
                        source="api",
                        active=True,
                        top_p=None,
                        **spec,
                    ),
                )
            rows.append(row)
    return rows


def _status(rng: random.Random) -> UsageStatus:
    roll = rng.random()
    if roll < 0.93:
        return "ok"
    if roll < 0.96:
        return "client_disconnect"
    if roll < 0.985:
        return "error"
    return "timeout"


def _record(
    index: int,
    context: DemoContext,
    rng: random.Random,
    specialists: list[Specialist],
    hasher: UserHasher,
    pricing: PricingTable,
) -> UsageRecord:
    specialist = rng.choice(specialists)
    now = utcnow()
    created = now - timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400))
    status = _status(rng)
    served = status not in ("error", "timeout")
    endpoint: Endpoint = rng.choice(["send", "stream", "stream", "openai"])
    input_tokens = rng.randint(60, 2400) if served else 0
    output_tokens = (
        rng.randint(20, specialist.max_tokens or 600)
        if status == "ok"
        else rng.randint(0, 120)
        if served
        else 0
    )
    cached = rng.randint(0, input_tokens // 2) if served and rng.random() < 0.2 else 0
    cost = pricing.cost(
        specialist.model,
        created,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_tokens=cached,
    )
    latency = int(rng.lognormvariate(6.6, 0.5)) if served else rng.randint(50, 30_000)
    return UsageRecord(
        request_id=uuid.uuid5(DEMO_NAMESPACE, f"{context.tenant_id}:{index}").hex,
        tenant_id=context.tenant_id,
        created_at=created,
        principal_kind="user",
        provider=SIMULATED_PROVIDER,
        model=specialist.model,
        endpoint=endpoint,
        streamed=endpoint == "stream",
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_tokens=cached,
        cost_usd=cost.usd,
        unpriced=cost.unpriced,
        estimated=status == "client_disconnect" and rng.random() < 0.5,
        latency_ms=latency,
        status=status,
        attempts=1 if status == "ok" else rng.randint(1, 3),
        user_hash=hasher.of(rng.choice(DEMO_USERS)),
        specialist_id=specialist.id,
        specialist_slug=specialist.slug,
        ttft_ms=min(latency, rng.randint(120, 900)) if endpoint == "stream" and served else None,
        error_code=None if served else f"upstream_{'timeout' if status == 'timeout' else 'server'}",
    )


async def load_demo(context: DemoContext) -> str:
    """Create the demo specialists and usage history; returns a one-line summary."""
    specialists = await _ensure_specialists(context)
    defaults = default_pricing()
    pricing = PricingTable(defaults.version, defaults.models)
    gateway = GatewaySettings()
    secret = gateway.user_hash_secret.get_secret_value() if gateway.user_hash_secret else None
    hasher = UserHasher(derive_user_hash_key(secret, context.settings.secret_key))
    rng = random.Random(20_251_123)  # noqa: S311 - reproducible demo data
    total = ROWS_BY_SCALE[context.scale]
    inserted = 0
    for start in range(0, total, BATCH):
        batch = [
            _record(i, context, rng, specialists, hasher, pricing)
            for i in range(start, min(start + BATCH, total))
        ]
        async with context.database.transaction() as session:
            inserted += len(await insert_usage(session, batch))
        context.progress(min(start + BATCH, total), total)
    return f"{len(specialists)} specialists, {inserted} new usage rows over {HISTORY_DAYS} days"

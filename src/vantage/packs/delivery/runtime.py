"""What the delivery pack keeps for the life of the app, its lifespan, and the dependency
alias handlers reach it through."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends
from prometheus_client import Counter
from starlette.requests import HTTPConnection

from vantage.core.context import core_of
from vantage.core.idempotency import IdempotencyStore
from vantage.core.jobs import JobService
from vantage.core.packs import PackContext
from vantage.packs.delivery.service.intake import WebhookIntake
from vantage.packs.delivery.service.live import LivePublisher
from vantage.packs.delivery.service.secrets import SecretBox
from vantage.packs.delivery.service.sources import WEBHOOK_PATH
from vantage.packs.delivery.settings import DeliverySettings

PACK_NAME = "delivery"


@dataclass
class DeliveryRuntime:
    settings: DeliverySettings
    secrets: SecretBox
    idempotency: IdempotencyStore
    jobs: JobService
    live: LivePublisher
    webhooks_received: Counter
    intake: WebhookIntake


def delivery_lifespan(
    settings_of: Callable[[], DeliverySettings],
) -> Callable[[PackContext], AbstractAsyncContextManager[None]]:
    """The pack's lifespan, reading its settings once when the app starts."""

    @asynccontextmanager
    async def lifespan(context: PackContext) -> AsyncIterator[None]:
        # Imported here: loading the runtime must not load the routes.
        from vantage.packs.delivery.api.webhooks import github_early_post

        core = context.core
        settings = settings_of()
        if WEBHOOK_PATH not in core.settings.max_body_bytes_by_path:
            # GitHub sends up to 25 MB; an explicit VANTAGE_MAX_BODY_BYTES_BY_PATH wins.
            core.body_limits.set_prefix(WEBHOOK_PATH, settings.max_webhook_bytes)
        box = SecretBox(core.settings.secret_key)
        runtime = DeliveryRuntime(
            settings=settings,
            secrets=box,
            idempotency=IdempotencyStore(
                core.database,
                ttl=timedelta(hours=settings.idempotency_ttl_hours),
                lock=timedelta(seconds=settings.idempotency_lock_seconds),
            ),
            jobs=core.jobs.service,
            live=LivePublisher(core.hub.publish, core.database, settings),
            webhooks_received=Counter(
                "vantage_delivery_webhooks_total",
                "GitHub webhook deliveries received, by event and outcome",
                ["event", "outcome"],
                registry=core.metrics_registry,
            ),
            intake=WebhookIntake(core.database, box, core.jobs.service),
        )
        core.runtimes.set(PACK_NAME, runtime)
        core.early_answers.register_post(github_early_post())
        try:
            yield
        finally:
            await runtime.intake.close()
            core.runtimes.remove(PACK_NAME)

    return lifespan


# ``async`` without awaiting: FastAPI would run a plain function in a worker thread.
async def _runtime(connection: HTTPConnection) -> DeliveryRuntime:
    return core_of(connection).runtimes.get(PACK_NAME, DeliveryRuntime)


DeliveryRuntimeDep = Annotated[DeliveryRuntime, Depends(_runtime)]

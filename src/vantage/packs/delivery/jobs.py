"""Job handlers of the delivery pack: each owns its unit of work, as an endpoint does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vantage.core.jobs import JobContext, JobHandler
from vantage.packs.delivery.github.client import Counters, GitHubClient
from vantage.packs.delivery.github.sync import SourceSync, SyncReport
from vantage.packs.delivery.service import sources, webhooks
from vantage.packs.delivery.service.live import LivePublisher
from vantage.packs.delivery.service.secrets import SecretBox, source_secret
from vantage.packs.delivery.settings import DeliverySettings


def process_webhook_job(settings_of: Callable[[], DeliverySettings]) -> JobHandler:
    """``delivery.process_webhook``: apply stored deliveries (``deliveries``, in the order
    received, or one ``delivery``), each in its own transaction, then publish what changed."""

    async def handle(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        settings = settings_of()
        row_ids = [int(row) for row in params.get("deliveries", [params.get("delivery")])]
        outcomes: list[webhooks.Processed] = []
        failure: Exception | None = None
        for row_id in row_ids:
            try:
                async with ctx.database.transaction() as session:
                    outcome = await webhooks.process(session, ctx.tenant_id, row_id, settings)
            except Exception as error:
                async with ctx.database.transaction() as session:
                    await webhooks.mark_failed(
                        session, ctx.tenant_id, row_id, f"{type(error).__name__}: {error}"
                    )
                failure = failure or error
                continue
            if outcome is not None:
                outcomes.append(outcome)
        if outcomes:
            live = LivePublisher(ctx.jobs.publisher.publish, ctx.database, settings)
            await live.changed_many(
                ctx.tenant_id,
                [
                    {
                        "source": "github",
                        "delivery_id": outcome.delivery_id,
                        "event": outcome.event,
                        "action": outcome.action,
                        "repository": outcome.repository,
                        "status": outcome.status,
                    }
                    for outcome in outcomes
                ],
            )
        if failure is not None:
            raise failure
        if not outcomes:
            return {"status": "already handled"}
        statuses = [outcome.status for outcome in outcomes]
        if len(row_ids) == 1:
            return {"status": statuses[0]}
        return {"status": "processed", "statuses": statuses}

    return handle


def _progress_text(report: SyncReport, counters: Counters) -> str:
    budget = counters.budget
    remaining = "unknown" if budget.remaining is None else str(budget.remaining)
    return (
        f"{report.repositories} repositories, {report.pull_requests} pull requests, "
        f"{report.reviews} reviews, {report.commits} commits; {counters.requests} requests "
        f"({counters.not_modified} not modified); rate limit {remaining} left"
        + (f", resets {budget.reset_text()}" if budget.reset_at else "")
        + (f"; waited {counters.waited_seconds:.0f} s for it" if counters.waited_seconds else "")
    )


def sync_source_job(settings_of: Callable[[], DeliverySettings]) -> JobHandler:
    """``delivery.sync_source``: pull a source's repositories from the GitHub REST API."""

    async def handle(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        settings = settings_of()
        async with ctx.database.reader() as session:
            source = await sources.get_source(session, ctx.tenant_id, int(params["source"]))
        box = SecretBox(ctx.settings.secret_key)
        token = source_secret(box, source.token_ciphertext, source.token_env)
        client = GitHubClient(
            source.api_url, token, max_wait_seconds=settings.sync_max_wait_seconds
        )
        async with client.connected():

            async def progress(report: SyncReport, pages_left: int | None) -> None:
                done = client.counters.requests
                total = done + pages_left if pages_left is not None else None
                await ctx.progress(done, total, _progress_text(report, client.counters))

            sync = SourceSync(ctx.database, ctx.tenant_id, source.id, client, settings, progress)
            report = await sync.run(list(source.repositories))
            ctx.log(_progress_text(report, client.counters))
        counters = client.counters
        return {
            "repositories": report.repositories,
            "pull_requests": report.pull_requests,
            "reviews": report.reviews,
            "commits": report.commits,
            "requests": counters.requests,
            "not_modified": counters.not_modified,
            "waited_seconds": round(counters.waited_seconds, 1),
            "rate_limit_remaining": counters.budget.remaining,
        }

    return handle

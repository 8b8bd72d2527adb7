"""The chat flow shared by every endpoint: admit, route, call, account.

Admission order: routing (404/403/422 for a bad model or specialist), conversation limits
(413/422), rate limits (429), spend budget hold (429). A request refused there never reaches a
provider and leaves no usage row; every admitted request leaves exactly one, whatever happens
next (success, upstream error, timeout, client disconnect, shutdown).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from decimal import Decimal

from vantage.core.auth.principal import Principal
from vantage.core.errors import Unavailable as ServiceUnavailable
from vantage.core.errors import (
    UpstreamTimeout,
    VantageError,
)
from vantage.packs.gateway.domain.pricing import cost_of
from vantage.packs.gateway.domain.token_counter import TOKENS_PER_MESSAGE, heuristic_tokens
from vantage.packs.gateway.providers.base import Completion, ProviderError, Usage
from vantage.packs.gateway.providers.errors import upstream_problem
from vantage.packs.gateway.service.accounting import (
    CallContext,
    FinalUsage,
    error_code_of,
    final_usage,
    start_context,
    status_of,
    usage_record,
)
from vantage.packs.gateway.service.attempts import AttemptsFailed, Target
from vantage.packs.gateway.service.calls import CallServices
from vantage.packs.gateway.service.history import check_history
from vantage.packs.gateway.service.routing import ChatInput, RoutePlan
from vantage.packs.gateway.usage.record import Endpoint

SETTLE_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class SendResult:
    ctx: CallContext
    target: Target
    completion: Completion
    usage: FinalUsage
    attempts: int


def problem_for(error: ProviderError) -> VantageError:
    """The client-facing problem for an upstream failure (no upstream secrets leak)."""
    if error.kind == "timeout":
        return UpstreamTimeout("The provider did not answer in time.")
    if error.kind == "rate_limited":
        retry = str(max(1, int(error.retry_after or 1)))
        return ServiceUnavailable(
            "Every provider for this model is over capacity; retry shortly.",
            headers={"Retry-After": retry},
        )
    return upstream_problem(error)


def _hold_amount(
    services: CallServices, ctx: CallContext, plan: RoutePlan, max_out: int
) -> Decimal:
    """The most this request can cost on any of its targets."""
    worst = Decimal(0)
    for target in plan.targets:
        entry = services.pricing.price(target.model, ctx.started_at)
        if entry is not None:
            worst = max(worst, cost_of(entry, ctx.estimated_prompt_tokens, max_out, 0))
    return worst


async def admit(
    services: CallServices, principal: Principal, chat: ChatInput, endpoint: Endpoint
) -> CallContext:
    """Route, check limits and hold the budget; the context of an admitted request."""
    plan = await services.router.plan(principal, chat)
    client_texts = [t for t in (chat.system,) if t] + [m.content for m in chat.messages]
    estimate = check_history(services.settings, services.tokens, client_texts)
    specialist_prompt = plan.specialist.system_prompt if plan.specialist else ""
    if specialist_prompt:
        estimate += TOKENS_PER_MESSAGE + heuristic_tokens(specialist_prompt)
    limits = await services.limiter.admit(principal, estimate)
    ctx = start_context(
        principal,
        services.hasher.for_principal(principal, chat.end_user),
        endpoint,
        chat.session_id,
        [specialist_prompt, *client_texts] if specialist_prompt else client_texts,
        estimate,
        limits,
    )
    if services.budgets.enabled:
        # The request goes out with the max_tokens the hold was computed for.
        max_out = plan.request.max_tokens or services.settings.default_max_tokens
        plan = replace(plan, request=replace(plan.request, max_tokens=max_out))
        ctx.hold = await services.budgets.hold(
            ctx.tenant_id, ctx.user_hash, _hold_amount(services, ctx, plan, max_out), ctx.started_at
        )
    ctx.plan = plan
    return ctx


async def settle(services: CallServices, ctx: CallContext, usage: FinalUsage) -> None:
    """Release the budget hold and charge the tokens (never fails the request)."""
    settling_budget = ctx.hold is not None
    try:
        async with asyncio.timeout(SETTLE_TIMEOUT_SECONDS):
            if ctx.hold is not None:
                await services.budgets.settle(ctx.hold, usage.cost_usd)
            settling_budget = False
            await services.limiter.charge_tokens(ctx.principal, usage.total_tokens)
    except Exception:
        if settling_budget:
            # The hold stays held until the budget's period ends: it refuses what it could pay.
            services.errors.record(
                "gateway.budget_settlement",
                "spend budget hold not settled",
                level=logging.ERROR,
                request_id=ctx.request_id,
            )
        else:
            services.errors.record(
                "gateway.token_charge",
                "tokens not charged to the rate limit",
                request_id=ctx.request_id,
            )


def record_failure(
    services: CallServices, ctx: CallContext, failure: AttemptsFailed, *, streamed: bool
) -> FinalUsage:
    """The row of a request no upstream served (nothing was consumed upstream)."""
    assert ctx.plan is not None
    usage = final_usage(services, ctx, ctx.plan.primary.model, Usage(), "", reached_upstream=False)
    services.writer.submit(
        usage_record(
            ctx,
            ctx.plan.primary,
            usage,
            status=status_of(failure.last),
            attempts=failure.attempts,
            streamed=streamed,
            error_code=error_code_of(failure.last),
        )
    )
    return usage


def record_abandoned(services: CallServices, ctx: CallContext, *, streamed: bool) -> FinalUsage:
    """The row of a request cut off while an upstream call was in flight (prompt estimated)."""
    assert ctx.plan is not None
    usage = final_usage(services, ctx, ctx.plan.primary.model, Usage(), "", complete=False)
    services.writer.submit(
        usage_record(
            ctx,
            ctx.plan.primary,
            usage,
            status="client_disconnect",
            attempts=1,
            streamed=streamed,
            error_code="cancelled",
        )
    )
    return usage


async def send(
    services: CallServices, principal: Principal, chat: ChatInput, endpoint: Endpoint
) -> SendResult:
    """One non-streamed chat call, accounted."""
    ctx = await admit(services, principal, chat, endpoint)
    assert ctx.plan is not None
    try:
        target, completion, attempts = await services.caller.complete(
            ctx.plan.targets, ctx.plan.request
        )
    except AttemptsFailed as failure:
        await settle(services, ctx, record_failure(services, ctx, failure, streamed=False))
        raise problem_for(failure.last) from failure
    except BaseException:
        usage = record_abandoned(services, ctx, streamed=False)
        await asyncio.shield(settle(services, ctx, usage))
        raise
    usage = final_usage(services, ctx, target.model, completion.usage, completion.text)
    services.writer.submit(
        usage_record(ctx, target, usage, status="ok", attempts=attempts, streamed=False)
    )
    await settle(services, ctx, usage)
    return SendResult(ctx, target, completion, usage, attempts)

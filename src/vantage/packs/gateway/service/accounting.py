"""Turning a finished call into a usage row: final token counts, cost, status."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from vantage.core.auth.principal import Principal
from vantage.core.db import utcnow
from vantage.core.ratelimit import Decision
from vantage.packs.gateway.providers.base import ProviderError, Usage
from vantage.packs.gateway.service.attempts import Target
from vantage.packs.gateway.service.budgets import Hold
from vantage.packs.gateway.service.calls import CallServices
from vantage.packs.gateway.service.routing import RoutePlan
from vantage.packs.gateway.usage.record import Endpoint, UsageRecord, UsageStatus

_ids = random.SystemRandom()
_fast_ids = random.Random(_ids.getrandbits(128))  # noqa: S311 - ids, not secrets


def new_request_id() -> str:
    """The id of one gateway request: the key that makes its usage row idempotent.

    128 random bits, like a UUID4, from a generator seeded once from the OS: unique, not
    secret (it grants nothing), and cheaper than a system call per request.
    """
    return f"{_fast_ids.getrandbits(128):032x}"


@dataclass
class CallContext:
    """One admitted request, from admission to its usage row."""

    request_id: str
    principal: Principal
    user_hash: str | None
    endpoint: Endpoint
    session_id: str | None
    prompt_texts: list[str]
    estimated_prompt_tokens: int
    started: float
    started_at: datetime
    limits: list[Decision]
    plan: RoutePlan | None = None
    hold: Hold | None = None

    @property
    def tenant_id(self) -> int:
        return self.principal.tenant_id

    def elapsed_ms(self) -> int:
        return int((time.perf_counter() - self.started) * 1000)


def start_context(
    principal: Principal,
    user_hash: str | None,
    endpoint: Endpoint,
    session_id: str | None,
    prompt_texts: list[str],
    estimated_prompt_tokens: int,
    limits: list[Decision],
) -> CallContext:
    return CallContext(
        request_id=new_request_id(),
        principal=principal,
        user_hash=user_hash,
        endpoint=endpoint,
        session_id=session_id,
        prompt_texts=prompt_texts,
        estimated_prompt_tokens=estimated_prompt_tokens,
        started=time.perf_counter(),
        started_at=utcnow(),
        limits=limits,
    )


@dataclass(frozen=True)
class FinalUsage:
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    estimated: bool
    cost_usd: Decimal | None
    unpriced: bool

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def final_usage(
    services: CallServices,
    ctx: CallContext,
    model: str,
    reported: Usage,
    output_text: str,
    *,
    reached_upstream: bool = True,
    complete: bool = True,
) -> FinalUsage:
    """The upstream's counts where it gave them; tokenizer estimates (flagged) where not.

    A stream cut short (``complete=False``) may hold an interim output count (Anthropic's
    cumulative ``output_tokens`` before the final ``message_delta``): its output is estimated
    from the text received, never below what the upstream had already reported.
    """
    tokens = services.tokens
    if not reached_upstream:
        return FinalUsage(0, 0, 0, False, Decimal(0), False)
    estimated = False
    input_tokens = reported.input_tokens
    if input_tokens is None:
        input_tokens, estimated = tokens.count_prompt(ctx.prompt_texts), True
    output_tokens = reported.output_tokens
    if output_tokens is None or not complete:
        output_tokens = max(output_tokens or 0, tokens.count(output_text))
        estimated = True
    cached = reported.cached_tokens or 0
    cost = services.pricing.cost(
        model,
        ctx.started_at,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_tokens=cached,
    )
    return FinalUsage(input_tokens, output_tokens, cached, estimated, cost.usd, cost.unpriced)


def error_code_of(error: ProviderError | None) -> str | None:
    return None if error is None else f"upstream_{error.kind}"


def status_of(error: ProviderError | None) -> UsageStatus:
    if error is None:
        return "ok"
    return "timeout" if error.kind == "timeout" else "error"


def usage_record(
    ctx: CallContext,
    target: Target,
    usage: FinalUsage,
    *,
    status: UsageStatus,
    attempts: int,
    streamed: bool,
    ttft_ms: int | None = None,
    error_code: str | None = None,
) -> UsageRecord:
    """The row for this request."""
    principal = ctx.principal
    specialist = ctx.plan.specialist if ctx.plan is not None else None
    return UsageRecord(
        request_id=ctx.request_id,
        tenant_id=ctx.tenant_id,
        created_at=ctx.started_at,
        principal_kind=principal.kind,
        provider=target.provider,
        model=target.model,
        endpoint=ctx.endpoint,
        streamed=streamed,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cached_tokens=usage.cached_tokens,
        cost_usd=usage.cost_usd,
        unpriced=usage.unpriced,
        estimated=usage.estimated,
        latency_ms=ctx.elapsed_ms(),
        status=status,
        attempts=attempts,
        user_hash=ctx.user_hash,
        api_key_id=principal.subject_id if principal.kind == "api_key" else None,
        specialist_id=specialist.id if specialist else None,
        specialist_slug=specialist.slug if specialist else None,
        ttft_ms=ttft_ms,
        error_code=error_code,
        session_id=ctx.session_id,
    )

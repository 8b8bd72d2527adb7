"""Provider adapters and the retry/fallback caller against fake upstreams on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from tests.packs.gateway.fakes import PROMPT_BASE, FakeBehaviour, anthropic_app, openai_app, serve
from vantage.core.suppressed import SuppressedErrors
from vantage.packs.gateway.domain.config_file import GatewayConfig, ProviderConfig
from vantage.packs.gateway.domain.token_counter import TokenCounter
from vantage.packs.gateway.providers.base import (
    ChatMessage,
    Finish,
    ProviderError,
    ProviderRequest,
    TextDelta,
    UsageReport,
)
from vantage.packs.gateway.providers.registry import ProviderRegistry, build_registry
from vantage.packs.gateway.service.attempts import AttemptsFailed, Backoff, Caller, Target
from vantage.packs.gateway.settings import GatewaySettings

REQUEST = ProviderRequest(
    model="m",
    messages=(ChatMessage("user", "one two three"),),
    system="be brief",
    max_tokens=50,
)
PROMPT_TOKENS = PROMPT_BASE + 5  # "be brief" + "one two three"


@pytest.fixture
async def upstreams() -> AsyncIterator[dict[str, Any]]:
    openai_behaviour, anthropic_behaviour = FakeBehaviour(), FakeBehaviour()
    async with (
        serve(openai_app(openai_behaviour)) as openai_url,
        serve(anthropic_app(anthropic_behaviour, cache_read=3)) as anthropic_url,
    ):
        yield {
            "openai": (openai_behaviour, openai_url + "/v1"),
            "anthropic": (anthropic_behaviour, anthropic_url),
        }


def _registry(upstreams: dict[str, Any], **overrides: Any) -> ProviderRegistry:
    values: dict[str, Any] = {"max_retries": 2, "read_timeout_seconds": 2, **overrides}
    settings = GatewaySettings(_env_file=None, **values)
    config = GatewayConfig(
        providers=(
            ProviderConfig(name="oa", kind="openai", base_url=upstreams["openai"][1]),
            ProviderConfig(name="an", kind="anthropic", base_url=upstreams["anthropic"][1]),
            ProviderConfig(name="backup", kind="openai", base_url=upstreams["openai"][1]),
        )
    )
    return build_registry(config, settings, TokenCounter(), environ={})


async def _collect(provider: Any, request: ProviderRequest) -> list[Any]:
    return [event async for event in provider.stream(request)]


async def test_openai_non_stream_reports_upstream_usage(upstreams: dict[str, Any]) -> None:
    registry = _registry(upstreams)
    completion = await registry.providers["oa"].complete(REQUEST)
    assert completion.text.startswith("alpha bravo")
    assert completion.usage.input_tokens == PROMPT_TOKENS
    assert completion.usage.output_tokens == 12
    sent = upstreams["openai"][0].requests[-1]
    assert sent["messages"][0] == {"role": "system", "content": "be brief"}
    assert sent["max_tokens"] == 50
    await registry.aclose()


async def test_openai_stream_asks_for_usage_and_reports_it_last(
    upstreams: dict[str, Any],
) -> None:
    registry = _registry(upstreams)
    events = await _collect(registry.providers["oa"], REQUEST)
    assert upstreams["openai"][0].requests[-1]["stream_options"] == {"include_usage": True}
    texts = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(texts) == 12
    assert isinstance(events[-1], UsageReport)
    assert (events[-1].input_tokens, events[-1].output_tokens) == (PROMPT_TOKENS, 12)
    assert any(isinstance(e, Finish) and e.reason == "stop" for e in events)
    await registry.aclose()


async def test_anthropic_cumulative_output_counts_are_overwritten(
    upstreams: dict[str, Any],
) -> None:
    registry = _registry(upstreams)
    events = await _collect(registry.providers["an"], REQUEST)
    reports = [e for e in events if isinstance(e, UsageReport)]
    # message_start (input + 1), an interim cumulative delta, the final cumulative delta.
    assert [r.output_tokens for r in reports] == [1, 7, 12]
    assert reports[0].input_tokens == PROMPT_TOKENS + 3  # cache reads count as input
    assert reports[0].cached_tokens == 3
    sent = upstreams["anthropic"][0].requests[-1]
    assert sent["system"] == "be brief" and sent["max_tokens"] == 50
    await registry.aclose()


async def test_anthropic_non_stream_usage(upstreams: dict[str, Any]) -> None:
    registry = _registry(upstreams)
    completion = await registry.providers["an"].complete(REQUEST)
    assert completion.usage.input_tokens == PROMPT_TOKENS + 3
    assert completion.usage.cached_tokens == 3
    assert completion.usage.output_tokens == 12
    assert completion.finish_reason == "end_turn"
    await registry.aclose()


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, "rate_limited"),
        (500, "server"),
        (400, "bad_request"),
        (401, "auth"),
        (404, "not_found"),
    ],
)
async def test_errors_are_classified(upstreams: dict[str, Any], status: int, kind: str) -> None:
    registry = _registry(upstreams)
    for name in ("oa", "an"):
        behaviour = upstreams["openai" if name == "oa" else "anthropic"][0]
        behaviour.fail_next(status, retry_after=1.5)
        with pytest.raises(ProviderError) as caught:
            await registry.providers[name].complete(REQUEST)
        assert caught.value.kind == kind
        assert caught.value.status == status
        if status == 429:
            assert caught.value.retry_after == 1.5
    await registry.aclose()


async def test_retries_with_backoff_then_succeeds(upstreams: dict[str, Any]) -> None:
    registry = _registry(upstreams)
    behaviour = upstreams["openai"][0]
    behaviour.fail_next(429, count=1, retry_after=0.01)
    behaviour.fail_next(503, count=1)
    caller = Caller(registry, Backoff(base=0.01, cap=0.05), SuppressedErrors(CollectorRegistry()))
    target, completion, attempts = await caller.complete([Target("oa", "m")], REQUEST)
    assert (target.provider, attempts) == ("oa", 3)
    assert completion.usage.output_tokens == 12
    assert registry.health["oa"].consecutive_failures == 0
    await registry.aclose()


async def test_falls_back_to_the_next_model_when_retries_run_out(
    upstreams: dict[str, Any],
) -> None:
    registry = _registry(upstreams)
    upstreams["openai"][0].fail_next(500, count=3)
    caller = Caller(registry, Backoff(base=0.001, cap=0.01), SuppressedErrors(CollectorRegistry()))
    target, _, attempts = await caller.complete([Target("oa", "m"), Target("an", "c")], REQUEST)
    assert target == Target("an", "c")
    assert attempts == 4
    assert upstreams["anthropic"][0].requests[-1]["model"] == "c"
    assert registry.health["oa"].failures == 3
    await registry.aclose()


async def test_a_rejected_request_is_neither_retried_nor_moved(upstreams: dict[str, Any]) -> None:
    registry = _registry(upstreams)
    upstreams["openai"][0].fail_next(400, message="context too long")
    caller = Caller(registry, Backoff(base=0.001, cap=0.01), SuppressedErrors(CollectorRegistry()))
    with pytest.raises(AttemptsFailed) as caught:
        await caller.complete([Target("oa", "m"), Target("backup", "m")], REQUEST)
    assert caught.value.attempts == 1
    assert caught.value.last.kind == "bad_request"
    assert len(upstreams["openai"][0].requests) == 1
    await registry.aclose()


async def test_stream_opens_on_a_fallback_before_the_first_event(
    upstreams: dict[str, Any],
) -> None:
    registry = _registry(upstreams, max_retries=0)
    upstreams["openai"][0].fail_next(503)
    caller = Caller(registry, Backoff(base=0.001, cap=0.01), SuppressedErrors(CollectorRegistry()))
    opened = await caller.open_stream([Target("oa", "m"), Target("an", "c")], REQUEST)
    assert opened.target == Target("an", "c")
    rest = [event async for event in opened.events]
    assert isinstance(opened.first, UsageReport)  # message_start
    assert sum(isinstance(e, TextDelta) for e in rest) == 12
    await registry.aclose()


async def test_a_stalled_stream_times_out(upstreams: dict[str, Any]) -> None:
    registry = _registry(upstreams, read_timeout_seconds=0.2, max_retries=0)
    upstreams["openai"][0].chunk_delay = 1.0
    with pytest.raises(ProviderError) as caught:
        await _collect(registry.providers["oa"], REQUEST)
    assert caught.value.kind == "timeout"
    await registry.aclose()


async def test_unhealthy_providers_are_tried_last(upstreams: dict[str, Any]) -> None:
    registry = _registry(upstreams, unhealthy_after_failures=1, unhealthy_cooldown_seconds=60)
    upstreams["openai"][0].fail_next(500, count=3)
    caller = Caller(registry, Backoff(base=0.001, cap=0.01), SuppressedErrors(CollectorRegistry()))
    await caller.complete([Target("oa", "m"), Target("an", "c")], REQUEST)
    assert not registry.is_healthy("oa")
    before = len(upstreams["openai"][0].requests)
    target, _, attempts = await caller.complete([Target("oa", "m"), Target("an", "c")], REQUEST)
    assert (target.provider, attempts) == ("an", 1)
    assert len(upstreams["openai"][0].requests) == before
    await registry.aclose()

"""The simulated provider stops at ``max_tokens`` as a model does, and says so."""

from __future__ import annotations

import pytest

from vantage.packs.gateway.domain.token_counter import TokenCounter
from vantage.packs.gateway.providers.base import (
    ChatMessage,
    Finish,
    ProviderInfo,
    ProviderRequest,
    TextDelta,
    UsageReport,
)
from vantage.packs.gateway.providers.simulated import SimulatedProvider


def _provider(tokens: TokenCounter) -> SimulatedProvider:
    return SimulatedProvider(
        ProviderInfo(name="simulated", kind="simulated", base_url=None, credentials="not_required"),
        tokens=tokens, first_token_ms=0, token_interval_ms=0, failure_rate=0,
        connect_timeout=1, read_timeout=1, max_retries=0,
    )  # fmt: skip


def _request(max_tokens: int | None) -> ProviderRequest:
    message = ChatMessage(role="user", content="Summarise the quarter.")
    return ProviderRequest(model="any", system=None, messages=(message,), max_tokens=max_tokens)


@pytest.mark.parametrize("limit", [1, 2, 5])
async def test_a_reply_cut_at_max_tokens_ends_with_length(limit: int) -> None:
    tokens = TokenCounter()
    tokens.load()
    provider = _provider(tokens)
    whole = await provider.complete(_request(None))
    assert whole.finish_reason == "stop" and (whole.usage.output_tokens or 0) > 5
    cut = await provider.complete(_request(limit))
    assert cut.finish_reason == "length"
    assert 0 < (cut.usage.output_tokens or 0) <= limit
    assert whole.text.startswith(cut.text)
    events = [event async for event in provider.stream(_request(limit))]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == cut.text
    assert [e.reason for e in events if isinstance(e, Finish)] == ["length"]
    assert [e.output_tokens for e in events if isinstance(e, UsageReport)] == [
        cut.usage.output_tokens
    ]

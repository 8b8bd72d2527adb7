"""The ``simulated`` provider: for demos and tests only, it calls no model.

It answers every model name with deterministic text derived from the prompt, at a configurable
pace, and reports usage counted by the gateway's tokenizer, so the whole pipeline (streams,
usage, cost, limits) can be tried without an account anywhere. Never use it for real traffic.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import AsyncGenerator

from vantage.packs.gateway.domain.token_counter import TokenCounter
from vantage.packs.gateway.providers.base import (
    Completion,
    Finish,
    ProviderError,
    ProviderInfo,
    ProviderRequest,
    StreamEvent,
    TextDelta,
    Usage,
    UsageReport,
)

VOCABULARY = [
    "revenue",
    "margin",
    "forecast",
    "cash",
    "flow",
    "quarter",
    "growth",
    "risk",
    "portfolio",
    "ledger",
    "budget",
    "variance",
    "allocation",
    "trend",
    "baseline",
    "scenario",
    "exposure",
    "liquidity",
    "spend",
    "runway",
    "cohort",
    "retention",
    "churn",
    "pipeline",
    "estimate",
    "summary",
    "insight",
    "driver",
    "signal",
    "outlier",
    "benchmark",
    "target",
    "plan",
    "review",
]
MIN_WORDS = 12
MAX_WORDS = 60


def simulated_reply(request: ProviderRequest) -> list[str]:
    """The words the simulator answers ``request`` with (stable for a given prompt)."""
    prompt = "\n".join(m.content for m in request.messages)
    seed = int.from_bytes(hashlib.sha256(f"{request.model}\n{prompt}".encode()).digest()[:8])
    rng = random.Random(seed)  # noqa: S311 - deterministic filler text, not security
    count = rng.randint(MIN_WORDS, MAX_WORDS)
    words = [rng.choice(VOCABULARY) for _ in range(count)]
    words[0] = words[0].capitalize()
    return [word if i == 0 else " " + word for i, word in enumerate(words)] + ["."]


class SimulatedProvider:
    """Deterministic fake completions with OpenAI-style usage (final usage report)."""

    def __init__(
        self,
        info: ProviderInfo,
        *,
        tokens: TokenCounter,
        first_token_ms: float,
        token_interval_ms: float,
        failure_rate: float,
        connect_timeout: float,
        read_timeout: float,
        max_retries: int,
    ) -> None:
        self.info = info
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_retries = max_retries
        self._tokens = tokens
        self._first_token = first_token_ms / 1000
        self._interval = token_interval_ms / 1000
        self._failure_rate = failure_rate
        self._rng = random.Random()  # noqa: S311 - simulated failures, not security

    def _maybe_fail(self) -> None:
        if self._failure_rate and self._rng.random() < self._failure_rate:
            raise ProviderError("server", "simulated upstream failure", status=503)

    def _reply(self, request: ProviderRequest) -> tuple[list[str], str]:
        """The reply, cut as a model cuts it at ``max_tokens``, and why it ended."""
        pieces = simulated_reply(request)
        limit = request.max_tokens
        if limit is None or self._fits(pieces, limit):
            return pieces, "stop"
        whole = next(n for n in range(len(pieces)) if not self._fits(pieces[: n + 1], limit))
        kept, cut = pieces[:whole], pieces[whole]
        # A model stops mid-word: keep as much of the next piece as the tokens left allow.
        part = next((cut[:end] for end in range(len(cut) - 1, 0, -1)
                     if self._fits([*kept, cut[:end]], limit)), "")  # fmt: skip
        return [*kept, part] if part else kept, "length"

    def _fits(self, pieces: list[str], limit: int) -> bool:
        return self._tokens.count("".join(pieces)) <= limit

    def _usage(self, request: ProviderRequest, pieces: list[str]) -> Usage:
        texts = ([request.system] if request.system else []) + [m.content for m in request.messages]
        return Usage(
            input_tokens=self._tokens.count_prompt(texts),
            output_tokens=self._tokens.count("".join(pieces)),
            cached_tokens=0,
        )

    async def complete(self, request: ProviderRequest) -> Completion:
        """The whole reply after the time a stream of it would take."""
        self._maybe_fail()
        pieces, finish_reason = self._reply(request)
        await asyncio.sleep(self._first_token + self._interval * max(len(pieces) - 1, 0))
        return Completion(
            text="".join(pieces),
            usage=self._usage(request, pieces),
            finish_reason=finish_reason,
            upstream_id=None,
        )

    async def stream(self, request: ProviderRequest) -> AsyncGenerator[StreamEvent, None]:
        """One word per event, then the finish and the usage report."""
        self._maybe_fail()
        pieces, finish_reason = self._reply(request)
        await asyncio.sleep(self._first_token)
        for index, piece in enumerate(pieces):
            if index:
                await asyncio.sleep(self._interval)
            yield TextDelta(piece)
        yield Finish(finish_reason)
        usage = self._usage(request, pieces)
        yield UsageReport(usage.input_tokens, usage.output_tokens, usage.cached_tokens)

    async def aclose(self) -> None:
        return None

"""GitHub's REST API through githubkit: its paginator follows ``Link: rel="next"``, the first page
of a listing may be conditional on an ETag, and githubkit's throttler and retry hooks carry a
rate-limit policy of our own (githubkit's default retries once, after a fixed guess): nothing is
sent before an exhausted primary limit resets, and a secondary limit waits exactly
``retry-after``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Generator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
from githubkit import GitHub, Response
from githubkit.exception import (
    GitHubException,
    RateLimitExceeded,
    RequestError,
    RequestFailed,
    SecondaryRateLimitExceeded,
)
from githubkit.retry import RetryOption
from githubkit.throttling import BaseThrottler

API_VERSION = "2022-11-28"
USER_AGENT = "vantage-delivery"
PER_PAGE = 100
MAX_ATTEMPTS = 6
TIMEOUT_SECONDS = 30.0
# The reset second itself may still refuse: wait one more.
RESET_MARGIN_SECONDS = 1.0
MIN_WAIT_SECONDS = 0.001


class GitHubError(RuntimeError):
    """GitHub refused a request for good (bad credentials, no such repository, ...)."""

    def __init__(self, status: int, path: str, message: str) -> None:
        super().__init__(f"GitHub answered {status} for {path}: {message}")
        self.status = status


class GitHubUnreachable(RuntimeError):
    """No answer from GitHub (connection refused, timeout, ...)."""

    def __init__(self, path: str, cause: BaseException) -> None:
        super().__init__(f"GitHub could not be reached for {path}: {cause!r}")


@dataclass
class Budget:
    """The primary rate limit as GitHub last reported it."""

    remaining: int | None = None
    reset_at: float | None = None  # epoch seconds

    def reset_text(self) -> str | None:
        if self.reset_at is None:
            return None
        return datetime.fromtimestamp(self.reset_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def note(self, headers: httpx.Headers) -> None:
        remaining = headers.get("x-ratelimit-remaining")
        reset = headers.get("x-ratelimit-reset")
        if remaining is not None and remaining.isdigit():
            self.remaining = int(remaining)
        if reset is not None and reset.isdigit():
            self.reset_at = float(reset)


@dataclass
class Counters:
    requests: int = 0
    not_modified: int = 0
    waited_seconds: float = 0.0
    budget: Budget = field(default_factory=Budget)


@dataclass
class Page:
    """One page of a listing; ``items`` is None when GitHub answered 304 Not Modified."""

    number: int
    items: list[dict[str, Any]] | None
    etag: str | None
    has_next: bool
    last_page: int | None


class TooLongAWait(Exception):
    """A rate limit would hold the sync longer than it may wait."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"rate limited for {seconds:.0f} s, beyond the wait limit")


class RateLimitPolicy(BaseThrottler):
    """Holds each request until GitHub will take it, and decides which refusals to retry.

    As githubkit's throttler it waits, before a request, for the reset of a spent budget; as its
    retry decision it retries a secondary limit after exactly ``retry-after`` and a primary one
    after the reset, and nothing else (a failed page ends the sync, which resumes on its next
    run).
    """

    def __init__(
        self,
        counters: Counters,
        max_wait_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.counters = counters
        self.max_wait = max_wait_seconds
        self.clock = clock
        self.refusal: TooLongAWait | None = None

    def _hold(self) -> float:
        """Seconds to wait before the next request: until the reset of a spent budget."""
        budget = self.counters.budget
        if budget.remaining != 0 or budget.reset_at is None:
            return 0.0
        wait = budget.reset_at + RESET_MARGIN_SECONDS - self.clock()
        budget.remaining = None  # after the wait the reset's fresh budget is unknown until told
        return self._allowed(wait) if wait > 0 else 0.0

    def _allowed(self, seconds: float) -> float:
        if seconds > self.max_wait:
            raise TooLongAWait(seconds)
        self.counters.waited_seconds += seconds
        return seconds

    @contextmanager
    def acquire(self, request: httpx.Request) -> Generator[None, Any, Any]:
        wait = self._hold()
        if wait:
            time.sleep(wait)
        yield

    @asynccontextmanager
    async def async_acquire(self, request: httpx.Request) -> AsyncGenerator[None, Any]:
        wait = self._hold()
        if wait:
            await asyncio.sleep(wait)
        yield

    def retry(self, error: GitHubException, retry_count: int) -> RetryOption:
        """githubkit's retry decision: rate limits only, each after exactly its wait."""
        if not isinstance(error, RateLimitExceeded) or retry_count + 1 >= MAX_ATTEMPTS:
            return RetryOption(False)
        reset_at = self.counters.budget.reset_at
        if isinstance(error, SecondaryRateLimitExceeded) or reset_at is None:
            wait = error.retry_after.total_seconds()  # retry-after as given (or githubkit's guess)
        else:
            wait = max(reset_at + RESET_MARGIN_SECONDS - self.clock(), RESET_MARGIN_SECONDS)
        wait = max(wait, MIN_WAIT_SECONDS)  # githubkit reads a zero wait as a minute
        try:
            seconds = self._allowed(wait)
        except TooLongAWait as refusal:
            self.refusal = refusal
            return RetryOption(False)
        self.counters.budget.remaining = None  # the wait is done by githubkit itself
        return RetryOption(True, timedelta(seconds=seconds))


def _whole_page(response: Response[Any]) -> list[Response[Any]]:
    """githubkit's paginator yields items; this makes each page a single item."""
    return [response]


def _page_number(link: dict[str, str] | None) -> int | None:
    if link is None:
        return None
    value = httpx.URL(link["url"]).params.get("page")
    return int(value) if value and value.isdigit() else None


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    return str(body.get("message", response.reason_phrase)) if isinstance(body, dict) else ""


class GitHubClient:
    """Listings of one GitHub API base URL read with one token (``None``: anonymously)."""

    def __init__(
        self,
        api_url: str,
        token: str | None,
        *,
        max_wait_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.counters = Counters()
        self._limits = RateLimitPolicy(self.counters, max_wait_seconds, clock)
        self._github: GitHub[Any] = GitHub(
            token,
            base_url=api_url,
            user_agent=USER_AGENT,
            timeout=TIMEOUT_SECONDS,
            http_cache=False,  # ETags are kept with the sync's cursors, not in a local cache
            throttler=self._limits,
            auto_retry=self._limits.retry,
            async_event_hooks={"request": [self._versioned], "response": [self._observe]},
        )

    @asynccontextmanager
    async def connected(self) -> AsyncGenerator[GitHubClient, None]:
        """One connection pool for every request of the sync."""
        async with self._github:
            yield self

    async def _versioned(self, request: httpx.Request) -> None:
        # Set here, not per call: githubkit's paginator asks later pages without our headers.
        request.headers.setdefault("X-GitHub-Api-Version", API_VERSION)

    async def _observe(self, response: httpx.Response) -> None:
        self.counters.requests += 1
        self.counters.budget.note(response.headers)

    async def listing(
        self, path: str, params: dict[str, Any], etag: str | None = None
    ) -> AsyncGenerator[Page, None]:
        """The pages of a listing, ``per_page=100``; the first one is conditional on ``etag``
        and, answered 304, is the only one (``items`` None)."""
        conditional = {"If-None-Match": etag} if etag else None
        # Bound to the first request only: the paginator sends later pages as their Link says.
        first = partial(
            self._github.arequest,
            "GET",
            path,
            params={**params, "per_page": PER_PAGE},
            headers=conditional,
        )
        pages = self._github.rest.paginate(first, map_func=_whole_page)
        number = 0
        try:
            async for response in pages:
                number += 1
                page = self._page(number, response.raw_response, etag)
                yield page
                if page.items is None:
                    return
        except TooLongAWait as too_long:
            raise GitHubError(429, path, str(too_long)) from too_long
        except RequestFailed as failure:
            refused, self._limits.refusal = self._limits.refusal, None
            raw = failure.response.raw_response
            message = str(refused) if refused else _message(raw)
            raise GitHubError(raw.status_code, raw.url.path, message) from failure
        except RequestError as failure:
            raise GitHubUnreachable(path, failure.exc) from failure

    def _page(self, number: int, response: httpx.Response, etag: str | None) -> Page:
        if response.status_code == 304:
            self.counters.not_modified += 1
            return Page(number, items=None, etag=etag, has_next=False, last_page=None)
        body = response.json()
        return Page(
            number,
            items=body if isinstance(body, list) else [],
            etag=response.headers.get("etag"),
            has_next="next" in response.links,
            last_page=_page_number(response.links.get("last")),
        )

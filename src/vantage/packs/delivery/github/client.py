"""A GitHub REST client that pages with Link headers, asks conditionally with ETags and never
calls before the rate limit resets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

API_VERSION = "2022-11-28"
PER_PAGE = 100
MAX_ATTEMPTS = 6


class GitHubError(RuntimeError):
    """GitHub refused a request for good (bad credentials, no such repository, ...)."""

    def __init__(self, status: int, path: str, message: str) -> None:
        super().__init__(f"GitHub answered {status} for {path}: {message}")
        self.status = status


@dataclass
class Budget:
    """The primary rate limit as GitHub last reported it."""

    remaining: int | None = None
    reset_at: float | None = None  # epoch seconds

    def reset_text(self) -> str | None:
        if self.reset_at is None:
            return None
        return datetime.fromtimestamp(self.reset_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Page:
    """One page of a listing; ``items`` is None when GitHub answered 304 Not Modified."""

    items: list[dict[str, Any]] | None
    etag: str | None
    next_url: str | None
    last_page: int | None


@dataclass
class Counters:
    requests: int = 0
    not_modified: int = 0
    waited_seconds: float = 0.0
    budget: Budget = field(default_factory=Budget)


def _page_number(url: str | None) -> int | None:
    if url is None:
        return None
    value = httpx.URL(url).params.get("page")
    return int(value) if value and value.isdigit() else None


class GitHubClient:
    """GET requests against one GitHub API base URL with one token."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        token: str | None,
        *,
        max_wait_seconds: float,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self._token = token
        self._max_wait = max_wait_seconds
        self._sleep = sleep
        self._clock = clock
        self.counters = Counters()

    def _headers(self, etag: str | None) -> dict[str, str]:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "vantage-delivery",
        }
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if etag:
            headers["If-None-Match"] = etag
        return headers

    def _note_budget(self, response: httpx.Response) -> None:
        remaining = response.headers.get("x-ratelimit-remaining")
        reset = response.headers.get("x-ratelimit-reset")
        if remaining is not None and remaining.isdigit():
            self.counters.budget.remaining = int(remaining)
        if reset is not None and reset.isdigit():
            self.counters.budget.reset_at = float(reset)

    async def _wait(self, seconds: float, path: str) -> None:
        if seconds > self._max_wait:
            raise GitHubError(429, path, f"rate limited for {seconds:.0f} s, beyond the wait limit")
        self.counters.waited_seconds += seconds
        await self._sleep(seconds)

    async def _respect_budget(self, path: str) -> None:
        """An exhausted budget waits for its reset: nothing is sent before it."""
        budget = self.counters.budget
        if budget.remaining == 0 and budget.reset_at is not None:
            wait = budget.reset_at - self._clock()
            if wait > 0:
                await self._wait(wait + 1, path)  # the reset second itself may still refuse
            budget.remaining = None

    async def _get(self, url: str, params: dict[str, Any], etag: str | None) -> httpx.Response:
        for _ in range(MAX_ATTEMPTS):
            await self._respect_budget(url)
            # An empty ``params`` would replace the query of a Link URL (its page number).
            response = await self._http.get(url, params=params or None, headers=self._headers(etag))
            self.counters.requests += 1
            self._note_budget(response)
            if response.status_code in (403, 429):
                retry_after = response.headers.get("retry-after")
                if retry_after is not None and retry_after.isdigit():  # secondary rate limit
                    await self._wait(float(retry_after), url)
                    continue
                if self.counters.budget.remaining == 0:  # primary limit: wait for the reset
                    continue
            return response
        raise GitHubError(429, url, f"still rate limited after {MAX_ATTEMPTS} attempts")

    async def page(
        self, url: str, params: dict[str, Any] | None = None, etag: str | None = None
    ) -> Page:
        """One page (the first one of a listing may be conditional on ``etag``)."""
        response = await self._get(url, params or {}, etag)
        if response.status_code == 304:
            self.counters.not_modified += 1
            return Page(items=None, etag=etag, next_url=None, last_page=None)
        if response.status_code >= 400:
            try:
                message = str(response.json().get("message", response.reason_phrase))
            except ValueError:
                message = response.reason_phrase
            raise GitHubError(response.status_code, httpx.URL(url).path, message)
        body = response.json()
        items = body if isinstance(body, list) else []
        return Page(
            items=items,
            etag=response.headers.get("etag"),
            next_url=response.links.get("next", {}).get("url"),
            last_page=_page_number(response.links.get("last", {}).get("url")),
        )

"""A fake GitHub REST API on 127.0.0.1 speaking GitHub's wire format: Link paging, ETags and
304s, the primary rate limit (``x-ratelimit-*``, 403 when exhausted), secondary limits with
``retry-after``, 401 for a bad token and 404 for an unknown repository. It records every call
made too early, so tests can prove the client waited, and can hold every request after the
first N unanswered, so a test knows how far a sync got before it stops it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "good-token"
START = datetime(2025, 3, 1, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def commit(index: int) -> dict[str, Any]:
    """Commit ``index`` of a linear history (its parent is ``index - 1``)."""
    when = _iso(START + timedelta(hours=index))
    person = {"name": "Ada", "email": "ada@acme.test", "date": when}
    return {
        "sha": hashlib.sha1(f"c{index}".encode()).hexdigest(),  # noqa: S324 - an id
        "commit": {"author": person, "committer": person, "message": f"Change {index}"},
        "author": {"login": "ada"},
        "committer": {"login": "ada"},
        "parents": [{"sha": hashlib.sha1(f"c{index - 1}".encode()).hexdigest()}]  # noqa: S324
        if index
        else [],
    }


def pull(number: int) -> dict[str, Any]:
    """A merged pull request; later numbers were updated later."""
    opened = START + timedelta(hours=number)
    merged = opened + timedelta(hours=2)
    return {
        "number": number, "title": f"Change {number}", "user": {"login": "ada"},
        "state": "closed", "created_at": _iso(opened), "updated_at": _iso(merged),
        "merged_at": _iso(merged), "closed_at": _iso(merged),
        "merge_commit_sha": hashlib.sha1(f"m{number}".encode()).hexdigest(),  # noqa: S324
        "labels": [], "head": {"ref": f"feature-{number}", "sha": "a" * 40},
        "base": {"ref": "main", "sha": "b" * 40, "repo": {"id": 7, "full_name": "acme/api"}},
    }  # fmt: skip


def review(number: int) -> dict[str, Any]:
    submitted = START + timedelta(hours=number, minutes=30)
    return {"id": 5000 + number, "user": {"login": "grace"}, "state": "APPROVED",
            "submitted_at": _iso(submitted)}  # fmt: skip


@dataclass
class FakeGitHub:
    """What the fake holds and how it misbehaves; tests change it between syncs."""

    commits: list[dict[str, Any]] = field(default_factory=list)  # newest first
    pulls: list[dict[str, Any]] = field(default_factory=list)  # most recently updated first
    limit: int = 5000
    remaining: int = 5000
    reset_at: int = 0
    secondary_limits: int = 0
    reset_in: int | None = None  # once the budget is spent, it resets this many seconds later
    retry_after: int = 1
    fail_page: tuple[str, int] | None = None  # (path suffix, page): answer 502 once
    calls: list[str] = field(default_factory=list)
    not_modified: int = 0
    early_calls: list[str] = field(default_factory=list)
    hold_after: int | None = None  # requests after this many wait, unanswered, for release()
    held: asyncio.Event = field(default_factory=asyncio.Event)  # set once a request waits
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    _blocked_until: float = 0.0

    def release(self) -> None:
        """Answer the held requests and every later one."""
        self.hold_after = None
        self._released.set()

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/repos/{owner}/{name}/{rest:path}", self.handle)])

    def _limit_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset_at),
        }

    def _arm_reset(self, now: float) -> None:
        if self.reset_in is not None and self.remaining <= 0:
            self.reset_at, self.reset_in = int(now) + self.reset_in, None

    def _refused(self, request: Request) -> Response | None:
        now = time.time()
        self._arm_reset(now)
        if now < self._blocked_until:
            self.early_calls.append(str(request.url))
        if self.remaining <= 0 and now < self.reset_at:
            self.early_calls.append(str(request.url))
            return JSONResponse({"message": "API rate limit exceeded"}, 403, self._limit_headers())
        if self.remaining <= 0:
            self.remaining = self.limit
        if self.secondary_limits:
            self.secondary_limits -= 1
            self._blocked_until = now + self.retry_after
            return JSONResponse(
                {"message": "You have exceeded a secondary rate limit."},
                403,
                {"retry-after": str(self.retry_after), **self._limit_headers()},
            )
        # GitHub takes a token as "token <t>" (githubkit's form) or "Bearer <t>".
        if request.headers.get("authorization") not in (f"token {TOKEN}", f"Bearer {TOKEN}"):
            return JSONResponse({"message": "Bad credentials"}, 401)
        return None

    async def handle(self, request: Request) -> Response:
        self.calls.append(str(request.url))
        if self.hold_after is not None and len(self.calls) > self.hold_after:
            self.held.set()
            await self._released.wait()
        refused = self._refused(request)
        if refused is not None:
            return refused
        owner, name, rest = (request.path_params[k] for k in ("owner", "name", "rest"))
        if f"{owner}/{name}" != "acme/api":
            return JSONResponse({"message": "Not Found"}, 404, self._limit_headers())
        items = self._listing(rest, request)
        page = int(request.query_params.get("page", "1"))
        if self.fail_page == (rest, page):
            self.fail_page = None
            return JSONResponse({"message": "Server Error"}, 502)
        per_page = int(request.query_params.get("per_page", "30"))
        chunk = items[(page - 1) * per_page : page * per_page]
        body = json.dumps(chunk).encode()
        # Of the body and the request without its host and port: two fakes tag alike.
        target = f"{request.url.path}?{request.url.query}".encode()
        etag = '"' + hashlib.sha256(body + target).hexdigest()[:32] + '"'
        if request.headers.get("if-none-match") == etag:
            self.not_modified += 1  # GitHub does not count a 304 against the limit
            return Response(status_code=304, headers={"etag": etag, **self._limit_headers()})
        self.remaining -= 1
        self._arm_reset(time.time())
        headers = {"etag": etag, "content-type": "application/json", **self._limit_headers()}
        last = max(1, -(-len(items) // per_page))
        links = []
        if page < last:
            links.append(f'<{request.url.include_query_params(page=page + 1)}>; rel="next"')
            links.append(f'<{request.url.include_query_params(page=last)}>; rel="last"')
        if links:
            headers["link"] = ", ".join(links)
        return Response(body, 200, headers)

    def _listing(self, rest: str, request: Request) -> list[dict[str, Any]]:
        if rest == "commits":
            since = request.query_params.get("since")
            return [
                c for c in self.commits if not since or c["commit"]["committer"]["date"] >= since
            ]
        if rest == "pulls":
            return self.pulls
        number = int(rest.split("/")[1])
        return [review(number)]

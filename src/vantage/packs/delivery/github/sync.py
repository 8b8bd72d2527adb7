"""A source's REST sync: commits, pull requests and their reviews of each tracked repository.

Each page is written in its own transaction and every row has a natural key, so a sync that
dies half-way is simply run again: it writes no duplicate and resumes from the last cursor.
Listings are incremental (commits ``since`` the newest one seen, pull requests by update time
down to the last sync's newest) and conditional (a first page answered 304 costs nothing).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from vantage.core.db import Database
from vantage.core.text import without_control_characters
from vantage.core.watermarks import bump_watermark
from vantage.packs.delivery.github import payloads as gh
from vantage.packs.delivery.github.client import GitHubClient, GitHubError, Page
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.repository import sync as cursors
from vantage.packs.delivery.service import commits as graph_store
from vantage.packs.delivery.service.github_events import EventApplier, pr_number_in
from vantage.packs.delivery.service.ingest import PACK_NAME
from vantage.packs.delivery.settings import DeliverySettings


@dataclass
class SyncReport:
    repositories: int = 0
    pull_requests: int = 0
    reviews: int = 0
    commits: int = 0
    pages: int = 0


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Progress = Callable[[SyncReport, int | None], Awaitable[None]]


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def commit_row(tenant_id: int, repository_id: int, item: dict[str, Any]) -> dict[str, Any]:
    """A REST commit as a row of ``delivery_commits``."""
    detail = item["commit"]
    message = without_control_characters(str(detail.get("message", "")))
    subject = message.split("\n", 1)[0][:500]
    author, committer = detail.get("author") or {}, detail.get("committer") or {}
    authored = _moment(author.get("date")) or _moment(committer.get("date"))
    return {
        "tenant_id": tenant_id,
        "repository_id": repository_id,
        "sha": item["sha"],
        "parents": [parent["sha"] for parent in item.get("parents", [])],
        "branch": None,
        "subject": subject,
        "pr_number": pr_number_in(subject),
        "author_login": (item.get("author") or {}).get("login"),
        "author_email": author.get("email"),
        "author_name": author.get("name"),
        "committer_login": (item.get("committer") or {}).get("login"),
        "committer_email": committer.get("email"),
        "committer_name": committer.get("name"),
        "authored_at": authored,
        "committed_at": _moment(committer.get("date")) or authored,
    }


class SourceSync:
    """Syncs one source's repositories through a GitHub client."""

    def __init__(
        self,
        database: Database,
        tenant_id: int,
        source_id: int,
        client: GitHubClient,
        settings: DeliverySettings,
        progress: Progress,
    ) -> None:
        self.database = database
        self.tenant_id = tenant_id
        self.source_id = source_id
        self.client = client
        self.settings = settings
        self.progress = progress
        self.report = SyncReport()
        self._pages_left: int | None = None

    async def run(self, repositories: list[str]) -> SyncReport:
        """Sync every repository (``owner/*`` patterns are left to webhooks)."""
        for full_name in repositories:
            if "*" in full_name:
                continue
            async with self.database.transaction() as session:
                repository = await records.add_repository(session, self.tenant_id, full_name)
            await self._commits(repository.id, full_name)
            await self._pulls(repository.id, full_name)
            self.report.repositories += 1
        return self.report

    async def _advance(self, page: Page) -> None:
        self.report.pages += 1
        if page.last_page is not None:
            self._pages_left = max(page.last_page - page.number, 0)
        elif not page.has_next:
            self._pages_left = 0
        await self.progress(self.report, self._pages_left)

    async def _commits(self, repository_id: int, full_name: str) -> None:
        listing = f"{full_name}:commits"
        async with self.database.reader() as session:
            saved = await cursors.cursor(session, self.tenant_id, self.source_id, listing)
        since = saved.since if saved else None
        params = {"since": since.strftime("%Y-%m-%dT%H:%M:%SZ")} if since is not None else {}
        newest, first_etag = since, None
        pages = self.client.listing(
            f"/repos/{full_name}/commits", params, saved.etag if saved else None
        )
        async with aclosing(pages):
            async for page in pages:
                if page.items is None:
                    return  # 304: nothing new since the last sync
                first_etag = page.etag if page.number == 1 else first_etag
                rows = [commit_row(self.tenant_id, repository_id, item) for item in page.items]
                async with self.database.transaction() as session:
                    await graph_store.store_commits(session, self.tenant_id, repository_id, rows)
                    await bump_watermark(session, self.tenant_id, PACK_NAME)
                self.report.commits += len(rows)
                newest = max([newest, *(row["committed_at"] for row in rows)], key=_order)
                await self._advance(page)
        # The ETag answers for the request with this ``since``: keep it only if ``since`` stays.
        etag = first_etag if newest == since else None
        async with self.database.transaction() as session:
            await cursors.save_cursor(
                session, self.tenant_id, self.source_id, listing, etag, newest
            )

    async def _pulls(self, repository_id: int, full_name: str) -> None:
        listing = f"{full_name}:pulls"
        async with self.database.reader() as session:
            saved = await cursors.cursor(session, self.tenant_id, self.source_id, listing)
        since = saved.since if saved else None
        params = {"state": "all", "sort": "updated", "direction": "desc"}
        newest, first_etag = since, None
        pages = self.client.listing(
            f"/repos/{full_name}/pulls", params, saved.etag if saved else None
        )
        async with aclosing(pages):
            async for page in pages:
                if page.items is None:
                    return  # 304: no pull request changed since the last sync
                first_etag = page.etag if page.number == 1 else first_etag
                fresh = [
                    pr for pr in page.items if _order(_moment(pr.get("updated_at"))) > _order(since)
                ]
                for item in fresh:
                    await self._pull_request(repository_id, full_name, item)
                    newest = max(newest, _moment(item.get("updated_at")), key=_order)
                await self._advance(page)
                if len(fresh) < len(page.items):
                    break  # the rest was seen by an earlier sync
        async with self.database.transaction() as session:
            await cursors.save_cursor(
                session, self.tenant_id, self.source_id, listing, first_etag, newest
            )

    async def _pull_request(self, repository_id: int, full_name: str, item: dict[str, Any]) -> None:
        reference = {
            "id": (item.get("base", {}).get("repo") or {}).get("id", 0),
            "full_name": full_name,
        }
        try:
            event = gh.PullRequestEvent.model_validate(
                {"action": "synced", "repository": reference, "pull_request": item}
            )
        except ValidationError as error:
            raise GitHubError(
                200, f"/repos/{full_name}/pulls", f"unexpected pull request: {error}"
            ) from error
        reviews: list[dict[str, Any]] = []
        path = f"/repos/{full_name}/pulls/{event.pull_request.number}/reviews"
        async for page in self.client.listing(path, {}):
            reviews += page.items or []
        async with self.database.transaction() as session:
            applier = EventApplier(session, self.tenant_id, repository_id, self.settings)
            await applier.apply(event)
            self.report.reviews += await _apply_reviews(applier, event, reviews)
        self.report.pull_requests += 1


def _order(moment: datetime | None) -> datetime:
    """Sort key that puts "never" first."""
    return moment if moment is not None else EPOCH


async def _apply_reviews(
    applier: EventApplier, event: gh.PullRequestEvent, reviews: list[dict[str, Any]]
) -> int:
    applied = 0
    for review in reviews:
        if not review.get("submitted_at"):
            continue
        await applier.apply(
            gh.PullRequestReviewEvent.model_validate(
                {
                    "action": "submitted",
                    "repository": event.repository.model_dump(),
                    "review": review,
                    "pull_request": {"number": event.pull_request.number},
                }
            )
        )
        applied += 1
    return applied

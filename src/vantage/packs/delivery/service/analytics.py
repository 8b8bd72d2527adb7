"""Pull request, contributor and repository analytics over a window."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any, Literal, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.pagination import CursorCodec, PageParams, PaginationMeta
from vantage.core.watermarks import read_watermark
from vantage.core.windows import TimeWindow
from vantage.packs.delivery.repository import analytics as reads
from vantage.packs.delivery.repository import dora as dora_reads
from vantage.packs.delivery.repository import records
from vantage.packs.delivery.schemas import (
    ContributorOut,
    ContributorsOut,
    PullOut,
    PullsOut,
    PullSummary,
    RepositoriesOut,
    RepositoryStatsOut,
    ReviewedAuthor,
    SizeBuckets,
)
from vantage.packs.delivery.service.ingest import PACK_NAME
from vantage.packs.delivery.service.stats import median, share

SIZE_LIMITS: tuple[tuple[Literal["xs", "s", "m", "l"], int], ...] = (
    ("xs", 10), ("s", 50), ("m", 250), ("l", 1000),
)  # fmt: skip
ItemT = TypeVar("ItemT")


@dataclass(frozen=True)
class ListQuery:
    """The window, the scope (repository, team, project) and the page of a list."""

    window: TimeWindow
    repository: str | None
    team: str | None
    project: str | None
    page: PageParams
    cursors: CursorCodec


async def repository_scope(
    session: AsyncSession, tenant_id: int, query: ListQuery
) -> frozenset[int] | None:
    """The repositories a list covers (None: all of the tenant's)."""
    chosen: set[int] | None = None
    if query.repository is not None:
        chosen = await records.repository_ids(session, tenant_id, [query.repository])
    if query.team is not None or query.project is not None:
        owned = await dora_reads.owned(session, tenant_id, team=query.team, project=query.project)
        services = {name for kind, name in owned if kind == "service"}
        names = [name for kind, name in owned if kind == "repository"]
        ids = await records.repository_ids(session, tenant_id, names)
        ids |= await dora_reads.repositories_of_services(session, tenant_id, services)
        chosen = ids if chosen is None else chosen & ids
    return None if chosen is None else frozenset(chosen)


def _page(
    items: Sequence[ItemT], query: ListQuery, scope: str
) -> tuple[list[ItemT], PaginationMeta]:
    """An offset page; ``next_cursor`` carries the next offset, signed for this list."""
    offset = query.page.offset
    if query.page.cursor:
        [offset] = query.cursors.decode(scope, query.page.cursor)
    end = int(offset) + query.page.limit
    following = query.cursors.encode(scope, [end]) if end < len(items) else None
    meta = PaginationMeta(
        limit=query.page.limit,
        offset=None if query.page.cursor else offset,
        total=len(items),
        next_cursor=following,
    )
    return list(items[int(offset) : end]), meta


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds()


def size_class(lines: int) -> Literal["xs", "s", "m", "l", "xl"]:
    """The size class of a change of ``lines`` added and deleted lines."""
    return next((name for name, limit in SIZE_LIMITS if lines <= limit), "xl")


def _pull_out(row: Any, reviews: tuple[int, int], reworked: bool) -> PullOut:
    review = (
        row.first_review_at
        if row.first_review_at and row.first_review_at <= row.merged_at
        else None
    )
    return PullOut(
        repository=row.repository,
        number=row.number,
        title=row.title,
        author=row.author,
        opened_at=row.opened_at,
        merged_at=row.merged_at,
        lines_changed=row.additions + row.deletions,
        size=size_class(row.additions + row.deletions),
        merge_method=row.merge_method,
        reviews=reviews[0],
        reviewers=reviews[1],
        cycle_seconds=_seconds(row.merged_at, row.first_commit_at or row.opened_at),
        first_review_latency_seconds=_seconds(review, row.opened_at),
        review_seconds=_seconds(row.merged_at, review),
        reworked=reworked,
        deployed=row.deployment_id is not None,
    )


def _summary(pulls: Sequence[PullOut], rows: Sequence[Any], window: TimeWindow) -> PullSummary:
    sizes = Counter(pull.size for pull in pulls)
    reworked = sum(1 for pull in pulls if pull.reworked)

    def p50(values: list[float | None]) -> float | None:
        return median([value for value in values if value is not None])

    return PullSummary(
        merged=len(pulls),
        throughput_per_week=len(pulls) / (window.days / 7),
        cycle_time_p50_seconds=p50([pull.cycle_seconds for pull in pulls]),
        coding_p50_seconds=p50(
            [_seconds(row.opened_at, row.first_commit_at) for row in rows if row.first_commit_at]
        ),
        first_review_latency_p50_seconds=p50([p.first_review_latency_seconds for p in pulls]),
        review_time_p50_seconds=p50([pull.review_seconds for pull in pulls]),
        reviews_per_pull_request=share(sum(p.reviews for p in pulls), len(pulls)),
        reviewers_per_pull_request=share(sum(p.reviewers for p in pulls), len(pulls)),
        size=SizeBuckets(**{name: sizes.get(name, 0) for name in ("xs", "s", "m", "l", "xl")}),
        reworked=reworked,
        rework_rate=share(reworked, len(pulls)),
        merge_methods=dict(Counter(pull.merge_method or "unknown" for pull in pulls)),
    )


async def pulls(session: AsyncSession, tenant_id: int, query: ListQuery) -> PullsOut:
    """Merged pull requests of the window: cycle-time stages, reviews, size, rework."""
    scope = await repository_scope(session, tenant_id, query)
    window = query.window
    rows = await reads.merged_pull_requests(session, tenant_id, window.start, window.end, scope)
    reviews = await reads.review_counts(session, tenant_id, {row.repository_id for row in rows})
    reworked = await reads.reworked_pull_requests(session, tenant_id, [row.id for row in rows])
    items = [
        _pull_out(row, reviews.get((row.repository_id, row.number), (0, 0)), row.id in reworked)
        for row in rows
    ]
    data, meta = _page(items, query, "delivery.pulls")
    watermark = await read_watermark(session, tenant_id, PACK_NAME)
    return PullsOut(
        window=window.out(),
        data_as_of=watermark.updated_at,
        summary=_summary(items, rows, window),
        data=data,
        pagination=meta,
    )


async def contributors(session: AsyncSession, tenant_id: int, query: ListQuery) -> ContributorsOut:
    """Each contributor's commits, pull requests and reviews, and whose work they review."""
    scope = await repository_scope(session, tenant_id, query)
    start, end = query.window.start, query.window.end
    commits = Counter(
        row.author
        for row in await reads.commits_between(session, tenant_id, start, end, scope)
        if row.author
    )
    opened, merged = Counter[str](), Counter[str]()
    for row in await reads.opened_pull_requests(session, tenant_id, start, end, scope):
        if row.author:
            opened[row.author] += 1
            merged[row.author] += row.merged_at is not None
    given: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for row in await reads.reviews_given(session, tenant_id, start, end, scope):
        if row.reviewer:
            given[row.reviewer][row.author or "unknown"] += 1
    names = sorted(set(commits) | set(opened) | set(given))
    items = [
        ContributorOut(
            name=name,
            commits=commits[name],
            pull_requests_opened=opened[name],
            pull_requests_merged=merged[name],
            reviews_given=sum(given[name].values()),
            reviewed=[
                ReviewedAuthor(author=author, reviews=count)
                for author, count in given[name].most_common()
            ],
        )
        for name in names
    ]
    items.sort(key=lambda c: (-(c.commits + c.pull_requests_opened + c.reviews_given), c.name))
    data, meta = _page(items, query, "delivery.contributors")
    watermark = await read_watermark(session, tenant_id, PACK_NAME)
    return ContributorsOut(
        window=query.window.out(), data_as_of=watermark.updated_at, data=data, pagination=meta
    )


def _cadence(times: list[datetime]) -> float | None:
    gaps = [(b - a).total_seconds() / 86400 for a, b in pairwise(times)]
    return median(gaps)


async def repository_stats(
    session: AsyncSession, tenant_id: int, query: ListQuery
) -> RepositoriesOut:
    """Per repository: commit patterns by weekday and hour, release cadence, merge methods."""
    scope = await repository_scope(session, tenant_id, query)
    start, end = query.window.start, query.window.end
    weekdays: defaultdict[int, list[int]] = defaultdict(lambda: [0] * 7)
    hours: defaultdict[int, list[int]] = defaultdict(lambda: [0] * 24)
    for row in await reads.commits_between(session, tenant_id, start, end, scope):
        weekdays[row.repository_id][row.authored_at.weekday()] += 1
        hours[row.repository_id][row.authored_at.hour] += 1
    methods: defaultdict[int, Counter[str]] = defaultdict(Counter)
    for row in await reads.merged_pull_requests(session, tenant_id, start, end, scope):
        methods[row.repository_id][row.merge_method or "unknown"] += 1
    shipped: defaultdict[int, list[datetime]] = defaultdict(list)
    for row in await reads.deployments_between(session, tenant_id, start, end, scope):
        shipped[row.repository_id].append(row.deployed_at)
    items = [
        RepositoryStatsOut(
            repository=row.full_name,
            commits=sum(weekdays[row.id]),
            commits_by_weekday=weekdays[row.id],
            commits_by_hour=hours[row.id],
            pull_requests_merged=sum(methods[row.id].values()),
            merge_methods=dict(methods[row.id]),
            deployments=len(shipped[row.id]),
            median_days_between_deployments=_cadence(shipped[row.id]),
        )
        for row in await reads.repositories(session, tenant_id, scope)
    ]
    data, meta = _page(items, query, "delivery.repositories")
    watermark = await read_watermark(session, tenant_id, PACK_NAME)
    return RepositoriesOut(
        window=query.window.out(), data_as_of=watermark.updated_at, data=data, pagination=meta
    )

"""The analytics views queries may read: the only tables AI-written SQL can name.

Each view exposes one table of a pack with stable, analyst-friendly columns and only the
caller's rows (the execution path binds the tenant; see ``repository.views``). Amounts are in
currency units, not the minor units the packs store. A view is declared by its name (which
starts with its pack's name), what one row is, the base tables it reads and a column table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal, cast, get_args

ColumnType = Literal["text", "integer", "number", "boolean", "date", "timestamp"]
COLUMN_TYPES: frozenset[str] = frozenset(get_args(ColumnType))


@dataclass(frozen=True)
class ViewColumn:
    name: str
    type: ColumnType
    description: str


@dataclass(frozen=True)
class AnalyticsView:
    """A view over one pack's tables: its name, columns and the base tables it reads."""

    name: str
    pack: str
    description: str
    columns: tuple[ViewColumn, ...]
    base_tables: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def _column(line: str) -> ViewColumn:
    name, kind, description = line.split(maxsplit=2)
    if kind not in COLUMN_TYPES:
        raise ValueError(f"column {name}: unknown type {kind!r}")
    return ViewColumn(name, cast(ColumnType, kind), description)


def view(name: str, description: str, reads: str, columns: str) -> AnalyticsView:
    """A view from its ``name``, what one row is, the base tables it ``reads`` (space
    separated) and its ``columns``: one ``name type description`` a line."""
    lines = [line.strip() for line in columns.strip().splitlines()]
    return AnalyticsView(
        name=name,
        pack=name.split("_", 1)[0],
        description=description,
        columns=tuple(_column(line) for line in lines if line),
        base_tables=tuple(reads.split()),
    )


DEFAULT_VIEWS = (
    view(
        "commerce_orders", "One row per order", "commerce_orders commerce_customers",
        """
        order_id     text       the sender's order id
        customer_id  text       the sender's customer id (null for guests)
        placed_at    timestamp  when the order was placed (UTC)
        day          date       the UTC day of placed_at
        status       text       completed, pending, cancelled or refunded
        amount       number     order amount in the tenant's currency
        units        integer    units over all lines (returns are negative)
        line_count   integer    number of lines
        """,
    ),
    view(
        "commerce_order_lines", "One row per order line",
        "commerce_order_lines commerce_orders commerce_products",
        """
        order_id    text     the order's id (joins commerce_orders.order_id)
        line_no     integer  position of the line in its order
        product_id  text     the sender's product id
        quantity    integer  units (negative for returns)
        unit_price  number   price of one unit
        amount      number   quantity times unit price
        """,
    ),
    view(
        "commerce_customers", "One row per customer", "commerce_customers",
        """
        customer_id  text       the sender's customer id
        name         text       display name
        country      text       country as sent
        created_at   timestamp  first seen (UTC)
        """,
    ),
    view(
        "commerce_products", "One row per product", "commerce_products",
        """
        product_id  text       the sender's product id
        name        text       display name
        created_at  timestamp  first seen (UTC)
        """,
    ),
    view(
        "gateway_usage", "One row per LLM request through the gateway", "gateway_usage",
        """
        request_id     text       the request's id
        created_at     timestamp  when the request arrived (UTC)
        user_hash      text       keyed hash of the caller's e-mail
        specialist     text       specialist slug (null when a model was named)
        provider       text       provider that answered
        model          text       model that answered
        endpoint       text       chat, stream or openai
        streamed       boolean    whether the answer was streamed
        input_tokens   integer    prompt tokens
        output_tokens  integer    completion tokens
        cached_tokens  integer    prompt tokens served from the provider's cache
        cost_usd       number     cost in USD (null when the model is unpriced)
        estimated      boolean    tokens were estimated, not reported
        latency_ms     integer    total latency
        ttft_ms        integer    time to first token (streams)
        status         text       ok, error, client_disconnect or timeout
        error_code     text       error code when status is not ok
        attempts       integer    provider attempts, fallbacks included
        session_id     text       the caller's session id, when sent
        """,
    ),
    view(
        "gateway_usage_daily", "Usage totals per day, provider, model, specialist and user",
        "gateway_usage_daily",
        """
        day             date     UTC day
        provider        text     provider
        model           text     model
        specialist      text     specialist slug ('' for none)
        user_hash       text     keyed hash of the caller's e-mail ('' for none)
        requests        integer  requests
        errors          integer  requests that failed
        input_tokens    integer  prompt tokens
        output_tokens   integer  completion tokens
        cached_tokens   integer  cached prompt tokens
        cost_usd        number   cost in USD
        latency_ms_sum  integer  sum of latencies (divide by requests for the mean)
        """,
    ),
    view(
        "delivery_pull_requests", "One row per pull request",
        "delivery_pull_requests delivery_repositories delivery_deployments",
        """
        repository       text       the repository's full name (owner/name)
        number           integer    the pull request's number in its repository
        title            text       title
        author           text       the author's login
        state            text       open, closed or merged
        opened_at        timestamp  when it was opened (UTC)
        first_commit_at  timestamp  when its first commit was authored (UTC)
        first_review_at  timestamp  when its first review was submitted (UTC)
        merged_at        timestamp  when it was merged (UTC; null when not merged)
        closed_at        timestamp  when it was closed (UTC)
        merge_method     text       merge, squash or rebase (null when not known)
        additions        integer    lines added
        deletions        integer    lines deleted
        commit_count     integer    commits
        deployment_id    text       the first deployment that shipped it
        """,
    ),
    view(
        "delivery_deployments", "One row per deployment",
        "delivery_deployments delivery_repositories",
        """
        deployment_id   text       the deployment's id as sent (or github-deployment:<id>)
        repository      text       the repository's full name (null when not known)
        service         text       the service deployed
        environment     text       environment name
        production      boolean    whether the environment counts as production
        commit_sha      text       the commit deployed
        kind            text       normal, hotfix, rollback or revert
        status          text       the latest status
        result          text       success or failure (null while in progress)
        created_at      timestamp  when it started (UTC)
        deployed_at     timestamp  when it finished (UTC)
        incident_count  integer    incidents attributed to it
        """,
    ),
    view(
        "delivery_incidents", "One row per incident", "delivery_incidents delivery_deployments",
        """
        incident_id    text       the incident's id as sent
        service        text       the service affected
        title          text       title
        severity       text       severity as sent (sev1, sev2, ...)
        created_at     timestamp  when it began (UTC)
        restored_at    timestamp  when service was restored (UTC)
        resolved_at    timestamp  when it was resolved (UTC)
        deployment_id  text       the deployment it is attributed to
        attribution    text       explicit (a link) or window (null when not attributed)
        """,
    ),
    view(
        "delivery_work_items", "One row per work item (GitHub issue)",
        "delivery_work_items delivery_repositories",
        """
        repository    text       the repository's full name (owner/name)
        number        integer    the issue's number in its repository
        title         text       title
        author        text       the author's login
        state         text       open or closed
        finished      boolean    closed as done (not as not planned)
        story_points  number     story points from its labels (null when none)
        opened_at     timestamp  when it was opened (UTC)
        closed_at     timestamp  when it was closed (UTC)
        """,
    ),
    view(
        "aidev_sessions", "One row per AI coding session of a developer", "aidev_sessions",
        """
        session_id     integer    the session's number (joins aidev_traces.session_id)
        developer      text       the developer
        repository     text       the repository worked on (null when not known)
        started_at     timestamp  first request (UTC)
        ended_at       timestamp  last request (UTC)
        requests       integer    requests
        failed         integer    requests that failed
        input_tokens   integer    prompt tokens
        output_tokens  integer    completion tokens
        cost_usd       number     cost in USD
        """,
    ),
    view(
        "aidev_traces", "One row per LLM request of a developer's tool", "aidev_traces",
        """
        request_id            text       the request's id
        started_at            timestamp  when it started (UTC)
        developer             text       the developer
        session_id            integer    its session (joins aidev_sessions.session_id)
        repository            text       the repository worked on (null when not known)
        provider              text       provider
        model                 text       model
        operation             text       operation as reported (chat, completion, ...)
        input_tokens          integer    prompt tokens
        output_tokens         integer    completion tokens
        cost_usd              number     cost in USD (null when unpriced)
        failed                boolean    whether it failed
        latency_ms            integer    latency
        suggestions_shown     integer    suggestions shown
        suggestions_accepted  integer    suggestions accepted
        """,
    ),
)  # fmt: skip


class Catalog(Mapping[str, AnalyticsView]):
    """The views a query may name, by lower-case name."""

    def __init__(self, views: Iterable[AnalyticsView] = DEFAULT_VIEWS) -> None:
        self._views = {view.name.lower(): view for view in views}

    def __getitem__(self, name: str) -> AnalyticsView:
        return self._views[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._views)

    def __len__(self) -> int:
        return len(self._views)

    def columns_of(self, name: str) -> tuple[str, ...] | None:
        """The view's column names, or None when no view has that name."""
        view = self._views.get(name.lower())
        return None if view is None else view.column_names

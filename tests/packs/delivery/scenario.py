"""A hand-computed delivery history: 14 successful deployments of one service (one before the
window, one exactly at each edge, a rollback), a failed one, 44 pull requests merged by
squash, rebase and merge commit, and 6 incidents; test_dora.py states every figure it yields.

Pull request ``i`` of the deployment at ``T`` (indices run across deployments in order):
lead time ``600 + 60 i`` minutes, deploy stage ``30 + 10 (i % 3)``, review stage ``20 + i``,
pickup 45 (no review when ``i % 10 == 9``), coding the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.packs.delivery.support import fixture, iso, sha_of

REPOSITORY = {"id": 4242, "full_name": "acme/api", "default_branch": "main", "name": "api"}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2025 (UTC)."""
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class Release:
    label: str
    time: datetime
    pull_requests: int
    kind: str = "normal"
    rollback_to: str | None = None


RELEASES = [
    Release("k0", at(2, 12), 3),  # the first deployment, before the window
    Release("k1", at(3, 0), 3),  # exactly at the window's start (inside)
    Release("k2", at(4, 10), 3),
    Release("k3", at(4, 16), 3),
    Release("k4", at(6, 11), 3),
    Release("k5", at(11, 9), 3),
    Release("k6", at(13, 15), 3),
    Release("k7", at(14, 10), 0, kind="rollback", rollback_to="k5"),
    Release("k8", at(18, 10), 3),
    Release("k9", at(20, 10), 4),
    Release("k10", at(25, 9), 3),
    Release("k11", at(26, 12), 3),
    Release("k12", at(28, 17), 4),
    Release("k13", at(31, 0), 3),  # exactly at the window's end (outside)
]
FAILED_AFTER = "k8"  # a failed deployment of k8's commit, on 19 March at noon


@dataclass
class Step:
    """One input: a GitHub event, or a push API batch (``deployments`` / ``incidents``)."""

    kind: str
    body: dict[str, Any]


@dataclass
class History:
    steps: list[Step] = field(default_factory=list)
    main_tip: str | None = None
    shipped: dict[str, str] = field(default_factory=dict)
    merge_shas: dict[int, str] = field(default_factory=dict)

    def github(self, event: str, body: dict[str, Any]) -> None:
        self.steps.append(Step(event, body))

    def push(
        self, branch: str, before: str | None, commits: list[tuple[str, str, datetime]]
    ) -> None:
        payload = fixture("push")
        payload |= {
            "ref": f"refs/heads/{branch}",
            "before": before or "0" * 40,
            "after": commits[-1][0],
            "repository": payload["repository"] | REPOSITORY,
            "commits": [
                {
                    "id": sha,
                    "message": message,
                    "timestamp": iso(moment),
                    "author": {"name": "Dev", "email": "dev@acme.test", "username": "dev"},
                    "committer": {"name": "Dev", "email": "dev@acme.test", "username": "dev"},
                }
                for sha, message, moment in commits
            ],
        }
        self.github("push", payload)


def _pull_request(number: int, **fields: Any) -> dict[str, Any]:
    payload = fixture("pull_request.closed")
    body = payload["pull_request"] | {
        "number": number,
        "title": f"Change {number}",
        "user": {"login": f"dev-{number % 4}"},
        "head": {"ref": f"feature-{number}", "sha": sha_of(f"head-{number}")},
        "base": {"ref": "main", "sha": sha_of("base")},
        "labels": [],
        "additions": 10 * number,
        "deletions": number,
        "commits": 2,
    }
    body |= fields
    return payload | {
        "action": "closed",
        "number": number,
        "pull_request": body,
        "repository": payload["repository"] | REPOSITORY,
    }


def _review(
    number: int, review_id: int, reviewer: str, state: str, moment: datetime
) -> dict[str, Any]:
    payload = fixture("pull_request_review.submitted")
    review = payload["review"] | {
        "id": review_id,
        "user": {"login": reviewer},
        "state": state,
        "submitted_at": iso(moment),
    }
    return payload | {
        "review": review,
        "pull_request": payload["pull_request"] | {"number": number},
        "repository": payload["repository"] | REPOSITORY,
    }


def _merge_commits(i: int, merged: datetime) -> list[tuple[str, str, datetime]]:
    number = 100 + i
    if i % 3 == 0:  # squash
        return [(sha_of(f"squash-{i}"), f"Change {number} (#{number})", merged)]
    if i % 3 == 1:  # rebase: the branch's two commits replayed onto main
        return [
            (sha_of(f"rebased-{i}-1"), f"Change {number}, part 1", merged),
            (sha_of(f"rebased-{i}-2"), f"Change {number}, part 2", merged),
        ]
    return [
        (sha_of(f"merge-{i}"), f"Merge pull request #{number} from acme/feature-{number}", merged)
    ]


def _add_pull_request(history: History, i: int, deploy_time: datetime) -> None:
    number = 100 + i
    minutes = timedelta(minutes=1)
    merged = deploy_time - (30 + 10 * (i % 3)) * minutes
    reviewed = i % 10 != 9
    first_review = merged - (20 + i) * minutes
    opened = first_review - 45 * minutes
    first_commit = deploy_time - (600 + 60 * i) * minutes
    branch = [
        (sha_of(f"work-{i}-1"), f"Start change {number}", first_commit),
        (sha_of(f"work-{i}-2"), f"Finish change {number}", first_commit + 5 * minutes),
    ]
    history.push(f"feature-{number}", history.main_tip, branch)
    opening = _pull_request(
        number,
        state="open",
        created_at=iso(opened),
        merged_at=None,
        closed_at=None,
        merge_commit_sha=sha_of(f"test-merge-{i}"),
    )
    history.github("pull_request", opening | {"action": "opened"})
    if i == 3:  # the author's own comment is not a review
        history.github(
            "pull_request_review",
            _review(number, 9000 + i, "dev-3", "commented", opened + 5 * minutes),
        )
    if reviewed:
        history.github(
            "pull_request_review", _review(number, 1000 + i, "reviewer", "approved", first_review)
        )
    commits = _merge_commits(i, merged)
    history.merge_shas[number] = commits[-1][0]
    history.github(
        "pull_request",
        _pull_request(
            number,
            state="closed",
            created_at=iso(opened),
            merged_at=iso(merged),
            closed_at=iso(merged),
            merge_commit_sha=commits[-1][0],
        ),
    )
    history.push("main", history.main_tip, commits)
    history.main_tip = commits[-1][0]


def _deployment(
    label: str, sha: str, moment: datetime, status: str = "success", kind: str = "normal"
) -> Step:
    return Step(
        "deployments",
        {
            "deployments": [
                {
                    "id": f"dep-{label}",
                    "service": "api",
                    "repository": "acme/api",
                    "commit_sha": sha,
                    "status": status,
                    "at": iso(moment),
                    "kind": kind,
                }
            ]
        },
    )


def _unshipped_pull_requests(history: History) -> None:
    minutes = timedelta(minutes=1)
    release_branch = [(sha_of("release-fix"), "Fix for the release branch (#141)", at(20, 15))]
    history.push("fix-141", history.main_tip, [(sha_of("fix-141"), "Fix", at(20, 12))])
    history.github(
        "pull_request",
        _pull_request(
            141,
            state="closed",
            created_at=iso(at(20, 13)),
            merged_at=iso(at(20, 15)),
            closed_at=iso(at(20, 15)),
            merge_commit_sha=release_branch[0][0],
            head={"ref": "fix-141", "sha": "f" * 40},
            base={"ref": "release-1", "sha": "e" * 40},
        ),
    )
    history.push("release-1", history.main_tip, release_branch)
    history.github(
        "pull_request",
        _pull_request(
            142,
            state="open",
            created_at=iso(at(22, 9)),
            merged_at=None,
            closed_at=None,
            merge_commit_sha=None,
        )
        | {"action": "opened"},
    )
    history.github(
        "pull_request",
        _pull_request(
            143,
            state="closed",
            created_at=iso(at(23, 9)),
            merged_at=None,
            closed_at=iso(at(23, 9) + 30 * minutes),
            merge_commit_sha=None,
        ),
    )


def _incidents(history: History) -> Step:
    root_cause = history.merge_shas[125]
    incidents = [
        {
            "id": "inc-1",
            "service": "api",
            "created_at": iso(at(4, 13)),
            "deployment": "dep-k2",
            "restored_at": iso(at(4, 14)),
            "resolved_at": iso(at(4, 18)),
        },
        {
            "id": "inc-2",
            "service": "api",
            "created_at": iso(at(13, 20)),
            "restored_at": iso(at(13, 21, 30)),
            "resolved_at": iso(at(14, 9)),
        },
        {
            "id": "inc-3",
            "service": "api",
            "created_at": iso(at(21, 8)),
            "description": f"Checkout failed.\n\nroot cause: {root_cause[:12]}",
            "restored_at": iso(at(21, 10)),
            "resolved_at": iso(at(21, 12)),
        },
        {
            "id": "inc-4",
            "service": "api",
            "created_at": iso(at(26, 18)),
            "severity": "sev2",
            "restored_at": iso(at(26, 19)),
            "resolved_at": iso(at(27, 10)),
        },
        # 73 hours after the latest deployment (k4): outside the attribution window.
        {
            "id": "inc-5",
            "service": "api",
            "created_at": iso(at(9, 12)),
            "restored_at": iso(at(9, 13)),
            "resolved_at": iso(at(9, 15)),
        },
        {
            "id": "inc-6",
            "service": "api",
            "created_at": iso(at(14, 8)),
            "restored_at": iso(at(14, 10)),
            "resolved_at": iso(at(14, 11)),
        },
    ]
    return Step("incidents", {"incidents": incidents})


def build_history() -> History:
    """Every input of the scenario, in the order it happens."""
    history = History()
    index = 0
    for release in RELEASES:
        for _ in range(release.pull_requests):
            _add_pull_request(history, index, release.time)
            index += 1
        if release.label == "k9":
            _unshipped_pull_requests(history)
        sha = history.shipped[release.rollback_to] if release.rollback_to else history.main_tip
        assert sha is not None
        history.shipped[release.label] = sha
        history.steps.append(_deployment(release.label, sha, release.time, kind=release.kind))
        if release.label == FAILED_AFTER:
            failed_at = at(19, 12)
            history.steps.append(
                _deployment("failed", sha, failed_at - timedelta(minutes=9), "in_progress")
            )
            history.steps.append(_deployment("failed", sha, failed_at, "failure"))
    history.steps.append(_incidents(history))
    return history


def steps() -> Iterator[Step]:
    """The scenario's inputs."""
    yield from build_history().steps

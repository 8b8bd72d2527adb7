"""Commits and tags of a local git repository, read with ``git log`` and ``git for-each-ref``."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

RECORD, FIELD = "\x1e", "\x1f"
LOG_FORMAT = FIELD.join(["%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%s"])
TAG_FORMAT = FIELD.join(
    ["%(refname:short)", "%(objectname)", "%(*objectname)", "%(creatordate:iso-strict)"]
)
REMOTE = re.compile(r"[:/]([^/:]+)/([^/]+?)(?:\.git)?/?$")


class GitError(RuntimeError):
    """The path is not a git repository, or git failed."""


@dataclass(frozen=True)
class GitCommit:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_at: datetime
    committer_name: str
    committer_email: str
    committed_at: datetime
    subject: str
    additions: int
    deletions: int


@dataclass(frozen=True)
class GitTag:
    name: str
    sha: str
    created_at: datetime


def _git(path: Path, *args: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed program, arguments are not shell-parsed
            ["git", "-C", str(path), *args],  # noqa: S607 - git from PATH, as a user runs it
            capture_output=True,
            check=True,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except FileNotFoundError as error:
        raise GitError("the git command is not installed") from error
    except subprocess.CalledProcessError as error:
        raise GitError(error.stderr.strip() or f"git {args[0]} failed") from error
    return done.stdout


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.strip()).astimezone(UTC)


def _parse_commit(record: str) -> GitCommit:
    header, _, stats = record.partition("\n")
    sha, parents, an, ae, at, cn, ce, ct, subject = header.split(FIELD, 8)
    additions = deletions = 0
    for line in stats.splitlines():
        added, _, rest = line.partition("\t")
        removed = rest.partition("\t")[0]
        if added.isdigit() and removed.isdigit():  # "-" marks a binary file
            additions, deletions = additions + int(added), deletions + int(removed)
    return GitCommit(
        sha=sha,
        parents=tuple(parents.split()),
        author_name=an,
        author_email=ae,
        authored_at=_moment(at),
        committer_name=cn,
        committer_email=ce,
        committed_at=_moment(ct),
        subject=subject,
        additions=additions,
        deletions=deletions,
    )


def commits(path: Path, revisions: Sequence[str] = ("HEAD", "--tags")) -> Iterator[GitCommit]:
    """Every commit reachable from ``revisions``, oldest first, with line counts."""
    output = _git(
        path, "log", "--reverse", "--numstat", f"--format={RECORD}{LOG_FORMAT}", *revisions, "--"
    )
    for record in output.split(RECORD):
        if record.strip():
            yield _parse_commit(record.strip("\n"))


def tags(path: Path) -> list[GitTag]:
    """Every tag with the commit it names and its date (the tagger's, else the commit's)."""
    output = _git(path, "for-each-ref", "refs/tags", f"--format={TAG_FORMAT}")
    found = []
    for line in output.splitlines():
        if not line.strip():
            continue
        name, target, peeled, created = line.split(FIELD)
        found.append(GitTag(name=name, sha=peeled or target, created_at=_moment(created)))
    return sorted(found, key=lambda tag: (tag.created_at, tag.name))


def repository_name(path: Path) -> str:
    """``owner/name`` from the ``origin`` remote, else ``local/<directory>``."""
    try:
        url = _git(path, "remote", "get-url", "origin").strip()
    except GitError:
        url = ""
    found = REMOTE.search(url)
    if found:
        return f"{found.group(1)}/{found.group(2)}"
    top = Path(_git(path, "rev-parse", "--show-toplevel").strip())
    return f"local/{top.name}"

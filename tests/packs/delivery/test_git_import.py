"""``vantage delivery import-git``: this repository's own history, and a small repository
with merge and squash pull requests and release tags."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from tests.support.cli import cli_env
from vantage.cli import build_cli
from vantage.config import Settings
from vantage.core.db import Database
from vantage.packs.delivery.models import Commit, Deployment, LeadTime, PullRequest
from vantage.packs.delivery.pack import build_pack

ROOT = Path(__file__).resolve().parents[3]


def _git(path: Path, *args: str, when: str | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@acme.test",
           "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@acme.test"}  # fmt: skip
    if when is not None:
        env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    done = subprocess.run(
        ["git", "-C", str(path), *args], capture_output=True, text=True, check=True, env=env
    )
    return done.stdout


def _import(env: dict[str, str], *args: str) -> str:
    cli = build_cli(packs={"delivery": build_pack()})
    result = CliRunner().invoke(cli, ["delivery", "import-git", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


async def _rows(database_url: str, tmp_path: Path, model: Any) -> list[Any]:
    settings = Settings(_env_file=None, database_url=database_url, data_dir=tmp_path / "data")
    database = Database(settings)
    try:
        async with database.reader() as session:
            return list((await session.execute(select(model))).scalars().all())
    finally:
        await database.dispose()


def test_this_repositorys_history_equals_what_git_log_says(
    database_url: str, tmp_path: Path
) -> None:
    summary = _import(cli_env(database_url, tmp_path), str(ROOT), "--repository", "acme/vantage")
    commits = asyncio.run(_rows(database_url, tmp_path, Commit))
    emails = _git(ROOT, "log", "HEAD", "--format=%ae").split()
    assert Counter(c.author_email for c in commits) == Counter(emails)
    assert f"acme/vantage: {len(emails)} commits" in summary
    merges = _git(ROOT, "log", "HEAD", "--merges", "--format=%H").split()
    assert sorted(c.sha for c in commits if len(c.parents) > 1) == sorted(merges)
    subjects = _git(ROOT, "log", "HEAD", "--format=%s").splitlines()
    named = [s for s in subjects if "(#" in s or s.startswith("Merge pull request #")]
    assert sum(1 for c in commits if c.pr_number is not None) == len(named)
    head = _git(ROOT, "rev-parse", "HEAD").strip()
    [latest] = [c for c in commits if c.sha == head]
    # `git log` counts no lines for a merge commit (its changes belong to the merged commits).
    numstat = _git(ROOT, "log", "-1", "--numstat", "--format=", "HEAD").splitlines()
    assert latest.additions == sum(
        int(line.split("\t")[0]) for line in numstat if line[0].isdigit()
    )


def _small_repository(path: Path) -> None:
    _git(path, "init", "-q", "-b", "main")
    (path / "README").write_text("one\n")
    _git(path, "add", "README")
    _git(path, "commit", "-qm", "Start", when="2025-03-01T09:00:00Z")
    _git(path, "tag", "-a", "v1.0.0", "-m", "1.0.0", when="2025-03-01T12:00:00Z")
    _git(path, "checkout", "-qb", "feature")
    (path / "a.txt").write_text("a\nb\n")
    _git(path, "add", "a.txt")
    _git(path, "commit", "-qm", "Work on a", when="2025-03-02T08:00:00Z")
    (path / "a.txt").write_text("a\nb\nc\n")
    _git(path, "commit", "-qam", "More a", when="2025-03-02T10:00:00Z")
    _git(path, "checkout", "-q", "main")
    _git(path, "merge", "-q", "--no-ff", "feature", "-m", "Merge pull request #7 from acme/feature",
         when="2025-03-03T09:00:00Z")  # fmt: skip
    (path / "b.txt").write_text("b\n")
    _git(path, "add", "b.txt")
    _git(path, "commit", "-qm", "Add b (#8)", when="2025-03-03T11:00:00Z")
    _git(path, "tag", "-a", "v1.1.0", "-m", "1.1.0", when="2025-03-03T12:00:00Z")
    _git(path, "tag", "nightly")


def test_release_tags_are_deployments_that_ship_pull_requests(
    database_url: str, tmp_path: Path
) -> None:
    repository = tmp_path / "repo"
    repository.mkdir()
    _small_repository(repository)
    env = cli_env(database_url, tmp_path)
    first = _import(env, str(repository), "--deploy-tags", "v*", "--repository", "acme/lib")
    assert first.strip() == "acme/lib: 5 commits, 2 pull requests, 2 deployments (tags v*)"
    pulls = {p.number: p for p in asyncio.run(_rows(database_url, tmp_path, PullRequest))}
    assert {n: (p.merge_method, p.commit_count, p.additions) for n, p in pulls.items()} == {
        7: ("merge", 2, 3),
        8: ("squash", 1, 1),
    }
    deployments = asyncio.run(_rows(database_url, tmp_path, Deployment))
    assert sorted(d.external_id for d in deployments) == [
        "git-tag:acme/lib:v1.0.0", "git-tag:acme/lib:v1.1.0",
    ]  # fmt: skip
    leads = {
        row.pull_request_id: row for row in asyncio.run(_rows(database_url, tmp_path, LeadTime))
    }
    # v1.1.0 (3 March 12:00) ships both: #7's first commit 2 March 08:00, #8's 3 March 11:00.
    assert sorted(row.lead_seconds for row in leads.values()) == [3600.0, 28 * 3600.0]
    again = _import(env, str(repository), "--deploy-tags", "v*", "--repository", "acme/lib")
    assert again == first
    assert len(asyncio.run(_rows(database_url, tmp_path, Commit))) == 5
    assert len(asyncio.run(_rows(database_url, tmp_path, Deployment))) == 2
